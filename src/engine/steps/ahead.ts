import type { HostStage } from '../../../machines/plan.ts';
import { inSequence } from '../../remote/sequence.ts';
import type { ExecResult, SequencedCommand, SequencedStep } from '../../remote/transport.ts';
import type { StepEnv } from '../context.ts';

// A stage done ahead: a host's step may send the commands of the host's next stage in its own
// round trip (see `rideAlong` in src/engine/plan.ts for which stages, and why that is safe). The
// outcome waits here until the deployment runs that next stage on the host, whose first attempt
// takes it instead of sending the commands again; a later attempt (a retry) runs them afresh.
// Only this process knows: a resumed run sends them again, and each of these stages is safe to
// run twice.

// A host stage, or a role swap's start (`start <role>`), which its rename step may carry.
export type AheadStage = HostStage | `start ${string}`;

const aheadOf = new WeakMap<StepEnv, Map<string, Promise<unknown>>>();

const keyOf = (host: string, stage: AheadStage) => `${host}\u0000${stage}`;

export function leaveAhead(env: StepEnv, host: string, stage: AheadStage, outcome: Promise<unknown>): void {
  let ahead = aheadOf.get(env);
  if (!ahead) aheadOf.set(env, (ahead = new Map()));
  // Looked at when the stage runs; never an unhandled rejection before that.
  outcome.catch(() => {});
  ahead.set(keyOf(host, stage), outcome);
}

// The outcome left for this stage on this host, once: only to a first attempt.
export function takeAhead<T = unknown>(env: StepEnv, host: string, stage: AheadStage, attempt: number): Promise<T> | undefined {
  const ahead = aheadOf.get(env);
  const key = keyOf(host, stage);
  const outcome = ahead?.get(key);
  ahead?.delete(key);
  return attempt === 1 ? (outcome as Promise<T> | undefined) : undefined;
}

// Sends a step's own commands and, when the plan lets it (`next`), the next stage's right after them
// in one sequence (one round trip). Returns the answers to its own commands (fewer when one of
// them stopped the sequence: `stopsOnOutput`) and throws what failed among them; nothing of the
// next stage runs then. The next stage's answers, or the failure among its commands, are left for it.
export async function sendAhead(
  env: StepEnv,
  host: string,
  next: AheadStage | undefined,
  own: SequencedCommand[],
  ahead: () => SequencedStep[],
): Promise<ExecResult[]> {
  const transport = env.transport(host);
  if (!next) return inSequence(transport, own);
  const answers: ExecResult[] = [];
  const counted = own.map((step) => ({ ...step, ended: (result: ExecResult) => (step.ended?.(result), answers.push(result)) }));
  const aheadSteps = ahead();
  try {
    const results = await inSequence(transport, [...counted, ...aheadSteps]);
    // A probe that found something (`stopsOnOutput`) ended the sequence early: the next stage's
    // commands did not all run, and it sends its own.
    if (results.length === own.length + aheadSteps.length) leaveAhead(env, host, next, Promise.resolve(results.slice(own.length)));
  } catch (error) {
    if (answers.length < own.length) throw error;
    leaveAhead(env, host, next, Promise.reject(error));
  }
  return answers;
}
