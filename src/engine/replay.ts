// Re-enacting a recorded run. The machines run again, and each step they ask for is answered with
// its recorded result instead of being run, in the order the original run saw the results. The
// same machines fed the same results in the same order reach the same states; where they do not,
// the record and the machines disagree (an edited record, or changed machines).
//
// `replay` does this offline for the whole record. `resume` does it for the completed part of a run,
// then lets the remaining steps run for real.
import { createActor, fromPromise, toPromise, type AnyStateMachine, type InspectionEvent } from 'xstate';
import type { DeployOutput } from '../../machines/deploy.ts';
import type { DeployPlan, StepFailure } from '../../machines/plan.ts';
import { sleepUntil } from '../../machines/retry.ts';
import { machineVersion } from './machine-version.ts';
import { effectiveEnds, finishOf, lastStates, startsByKey, type EndEntry, type RunRecord, type StartEntry, type StateEntry, type StepRef } from './run-record.ts';
import { aroundHandlers, stateTracker, type AroundStep, type RunStep } from './run-recorder.ts';
import { providedDeployMachine, type StepHandlers } from './run.ts';

export class Divergence extends Error {
  override readonly name = 'Divergence';
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

// Hands out recorded results in their recorded order. A step asked for before its turn waits.
//   replay: a step with no recorded result ends the replay once every recorded result is out
//           (the run was interrupted there); before that, it is a divergence.
//   resume: such a step runs for real, once every recorded result is out, if the run had started
//           it before it stopped (or anything may run, once the record is used up).
export class Sequencer {
  private next = 0;
  private readonly byKey = new Map<string, EndEntry>();
  private readonly indexOf = new Map<string, number>();
  private readonly waiting = new Map<string, (end: EndEntry) => void>();
  private readonly held: Array<() => void> = [];
  private pumping = false;
  private stallCheck = 0;
  private failed: Divergence | undefined;
  private readonly stopped: Promise<{ divergence?: Divergence; interrupted?: string[] }>;
  private stop!: (why: { divergence?: Divergence; interrupted?: string[] }) => void;
  readonly unrecorded: string[] = [];

  constructor(
    private readonly ends: EndEntry[],
    private readonly starts: Map<string, StartEntry>,
    private readonly mode: 'replay' | 'resume',
    private readonly pace?: (previous: EndEntry | undefined, next: EndEntry) => Promise<void>,
    private readonly delivered?: (end: EndEntry) => void,
    private readonly unfinished: ReadonlySet<string> = new Set(),
  ) {
    for (const [index, end] of ends.entries()) {
      this.byKey.set(end.key, end);
      this.indexOf.set(end.key, index);
    }
    this.stopped = new Promise((resolve) => (this.stop = resolve));
  }

  get done(): boolean {
    return this.next >= this.ends.length;
  }

  get remaining(): number {
    return this.ends.length - this.next;
  }

  get divergence(): Divergence | undefined {
    return this.failed;
  }

  // Settles when the replay cannot go on: a divergence, or (replay) the end of an interrupted record.
  get halted() {
    return this.stopped;
  }

  // Whether a step was in flight when the record ends: its last start has no end after it.
  inFlight(key: string): boolean {
    return this.unfinished.has(key);
  }

  step: AroundStep = (ref: StepRef, key: string, live: RunStep) => {
    if (this.failed) return Promise.reject(this.failed);
    if ((this.indexOf.get(key) ?? -1) >= this.next) {
      return new Promise<unknown>((resolve, reject) => {
        this.waiting.set(key, (end) => (end.ok ? resolve(end.output) : reject(Object.assign(new Error(end.error.message), { kind: end.error.kind }))));
        void this.pump();
      });
    }
    if (this.mode === 'replay') {
      if (!this.done) return this.diverge(`the machines asked for ${key}, which the record does not have; its next step is ${this.ends[this.next]?.key}`);
      this.unrecorded.push(key);
      this.scheduleStallCheck();
      return new Promise<unknown>(() => {});
    }
    if (!this.done && !this.starts.has(key)) {
      return this.diverge(`the machines asked for ${key} before the record's ${this.ends[this.next]?.key}, which the run had not started`);
    }
    const retrying = this.inFlight(key);
    return new Promise<void>((resolve) => (this.done ? resolve() : this.held.push(resolve))).then(() => live(retrying));
  };

  private diverge(message: string): Promise<never> {
    this.failed ??= new Divergence(message);
    this.stop({ divergence: this.failed });
    return Promise.reject(this.failed);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.failed && !this.done) {
        const end = this.ends[this.next] as EndEntry;
        const deliver = this.waiting.get(end.key);
        if (!deliver) break;
        await this.pace?.(this.ends[this.next - 1], end);
        this.waiting.delete(end.key);
        this.next++;
        this.delivered?.(end);
        deliver(end);
        // Let the machines take in the result (and ask for what comes next) before the next one.
        await turn();
        await turn();
      }
    } finally {
      this.pumping = false;
    }
    if (this.done) for (const release of this.held.splice(0)) release();
    else this.scheduleStallCheck();
  }

  // Offline, every step is answered at once and every wait is instant: if the machines have gone
  // quiet and the record's next step was not asked for, it never will be.
  private scheduleStallCheck(): void {
    if (this.mode !== 'replay') return;
    const check = ++this.stallCheck;
    void (async () => {
      for (let i = 0; i < 5; i++) await turn();
      if (check !== this.stallCheck || this.pumping || this.failed) return;
      if (this.done) this.stop({ interrupted: [...this.unrecorded] });
      else if (!this.waiting.has((this.ends[this.next] as EndEntry).key)) {
        void this.diverge(`the record's next step ${(this.ends[this.next] as EndEntry).key} was never asked for (the machines are waiting for ${this.waiting.size ? [...this.waiting.keys()].join(', ') : 'nothing'})`);
      }
    })();
  }
}

// The machines with every wait made instant (offline there is nothing to wait for). Waits are the
// `sleepUntil` actor wherever a machine uses it.
const instantSleep = fromPromise<void, { until: number }>(async () => {});

function withInstantSleeps<T extends AnyStateMachine>(machine: T): T {
  const actors = (machine.implementations.actors ?? {}) as Record<string, unknown>;
  const replaced: Record<string, unknown> = {};
  for (const [name, logic] of Object.entries(actors)) {
    if (logic === sleepUntil) replaced[name] = instantSleep;
    else if (logic && typeof (logic as AnyStateMachine).provide === 'function' && (logic as AnyStateMachine).implementations) {
      replaced[name] = withInstantSleeps(logic as AnyStateMachine);
    }
  }
  return machine.provide({ actors: replaced } as never) as T;
}

const noHandlers: StepHandlers = {
  hostStep: async () => {},
  swapStep: async () => ({}),
  build: async () => {},
  hook: async () => {},
  accessories: async () => {},
};

export interface ReplayOptions {
  // Pace the replay by the recorded timings, N times faster (1 = as recorded).
  speed?: number;
  inspect?: (event: InspectionEvent) => void;
  onStep?: (end: EndEntry) => void;
}

export interface ReplayResult {
  steps: number;
  states: number;
  // The replay reached the record's states in the same order, and the same outcome.
  same: boolean;
  divergence?: string;
  recorded?: { ok: boolean; failures: StepFailure[] };
  replayed?: { ok: boolean; failures: StepFailure[] };
  // The record ends before the run did (killed): these steps were in flight.
  interrupted?: string[];
  // States are compared only when the record was made by these very machines (see machineVersion);
  // other machines may name and nest their states differently, and then only the steps asked for
  // and the outcome are compared.
  statesCompared: boolean;
}

export async function replayRun(record: RunRecord, options: ReplayOptions = {}): Promise<ReplayResult> {
  if (record.broken || !record.plan) throw new Divergence(`run ${record.runId} cannot be replayed: ${record.broken ?? 'no plan'}`);
  const plan = record.plan as DeployPlan;
  const ends = effectiveEnds(record);
  const speed = options.speed;
  const pace = speed
    ? async (previous: EndEntry | undefined, next: EndEntry) => {
        const gap = previous ? Math.max(0, next.at - previous.at) : 0;
        if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap / speed));
      }
    : undefined;
  const sequencer = new Sequencer(ends, startsByKey(record), 'replay', pace, options.onStep);
  const states: StateEntry[] = [];
  const track = stateTracker((actor, state) => states.push({ e: 'state', actor, state, at: Date.now() }));
  const machine = withInstantSleeps(providedDeployMachine(aroundHandlers(noHandlers, sequencer.step)));
  const actor = createActor(machine, {
    input: plan,
    id: 'deploy',
    systemId: 'deploy',
    inspect: (event) => {
      track(event);
      options.inspect?.(event);
    },
  });
  actor.start();
  const outcome = await Promise.race([toPromise(actor).then((output: DeployOutput) => ({ output })), sequencer.halted]);
  actor.stop();

  const finish = finishOf(record);
  const statesCompared = record.header?.machineVersion === machineVersion();
  const result: ReplayResult = {
    steps: ends.length,
    states: states.length,
    same: false,
    statesCompared,
    recorded: finish ? { ok: finish.ok, failures: finish.failures } : undefined,
  };
  if ('divergence' in outcome && outcome.divergence) return { ...result, divergence: outcome.divergence.message };
  const stateDivergence = statesCompared ? compareStates(lastStates(record), states, !finish) : undefined;
  if ('output' in outcome) {
    result.replayed = { ok: outcome.output.ok, failures: outcome.output.failures };
    if (!sequencer.done) return { ...result, divergence: `the machines finished with ${sequencer.remaining} recorded results never asked for (next: ${ends[ends.length - sequencer.remaining]?.key})` };
    if (stateDivergence) return { ...result, divergence: stateDivergence };
    if (!finish) return { ...result, divergence: 'the machines finished, but the record has no finish (was the run killed after its last step?)', same: false };
    const outcomeDivergence = compareOutcome(result.recorded as { ok: boolean; failures: StepFailure[] }, result.replayed);
    if (outcomeDivergence) return { ...result, divergence: outcomeDivergence };
    return { ...result, same: true };
  }
  // The record ended with steps in flight: an interrupted run. Its states so far must match.
  result.interrupted = outcome.interrupted;
  if (finish) return { ...result, divergence: `the record has a finish, but the machines still wait for ${outcome.interrupted?.join(', ')}` };
  if (stateDivergence) return { ...result, divergence: stateDivergence };
  return { ...result, same: true };
}

// Each machine actor must go through the same states in the same order. For an interrupted record
// the replay may have gone one step further than the log did before the kill.
export function compareStates(recorded: StateEntry[], replayed: StateEntry[], interrupted: boolean): string | undefined {
  const byActor = (entries: StateEntry[]) => {
    const map = new Map<string, string[]>();
    for (const { actor, state } of entries) map.set(actor, [...(map.get(actor) ?? []), state]);
    return map;
  };
  const a = byActor(recorded);
  const b = byActor(replayed);
  for (const [actor, states] of a) {
    const other = b.get(actor) ?? [];
    for (let i = 0; i < states.length; i++) {
      if (other[i] === states[i]) continue;
      if (other[i] === undefined) {
        if (interrupted) break;
        return `${actor}: the record goes on to '${states[i]}' (state ${i + 1}); the replay stopped at '${other[i - 1] ?? '(never started)'}'`;
      }
      return `${actor}: state ${i + 1} was '${states[i]}' in the record, '${other[i]}' in the replay (after '${states[i - 1] ?? 'the start'}')`;
    }
    if (!interrupted && other.length > states.length) return `${actor}: the replay goes on to '${other[states.length]}', the record ends at '${states.at(-1)}'`;
  }
  for (const actor of b.keys()) {
    if (!a.has(actor) && !interrupted) return `${actor}: the replay started this actor; the record never did`;
  }
  return undefined;
}

function compareOutcome(recorded: { ok: boolean; failures: StepFailure[] }, replayed: { ok: boolean; failures: StepFailure[] }): string | undefined {
  const show = (o: { ok: boolean; failures: StepFailure[] }) =>
    o.ok ? 'succeeded' : `failed (${o.failures.map((f) => `${f.host ?? 'local'}${f.role ? ` ${f.role}` : ''} ${f.stage}: ${f.message}`).join('; ')})`;
  return show(recorded) === show(replayed) ? undefined : `the record ${show(recorded)}; the replay ${show(replayed)}`;
}
