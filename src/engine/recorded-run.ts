// A deployment with its record: run.json (the request), plan.json, and log.jsonl as it goes; and
// the resume of such a run from its record.
import type { InspectionEvent } from 'xstate';
import type { DeployOutput } from '../../machines/deploy.ts';
import type { DeployPlan } from '../../machines/plan.ts';
import * as lock from '../commands/lock.ts';
import { machineVersion } from './machine-version.ts';
import { Divergence, Sequencer } from './replay.ts';
import { effectiveEnds, segments, startsByKey, stepAttempt, unfinishedKeys, type EndEntry, type RunHeader, type RunRecord, type RunRequest } from './run-record.ts';
import { aroundHandlers, configHash, createRecorder, newHeader } from './run-recorder.ts';
import { runDeployment, type StepHandlers } from './run.ts';
import type { Session } from './session.ts';

export interface RecordedRunOptions {
  session: Session;
  plan: DeployPlan;
  handlers: StepHandlers;
  kamalCommand: string;
  request: RunRequest;
  // Another observer of the actors (--inspect).
  inspect?: (event: InspectionEvent) => void;
}

const killAt = (session: Session) => (session.env.dryRun ? undefined : process.env.SEXTANT_TEST_KILL_AT);

export function headerFor(options: Omit<RecordedRunOptions, 'handlers'>): RunHeader {
  const { session, plan } = options;
  const { env } = session;
  const lockHost = env.lockInherited ? undefined : plan.stageHosts.lock?.[0];
  return newHeader({
    runId: plan.runId,
    command: plan.command,
    kamalCommand: options.kamalCommand,
    version: plan.version,
    request: options.request,
    configHash: configHash(env.config),
    secretNames: env.secrets.names().sort(),
    machineVersion: machineVersion(),
    ...(lockHost ? { lock: { host: lockHost, path: lock.lockDir(env.config), message: env.lockMessage ?? lock.AUTOMATIC_LOCK_MESSAGE } } : {}),
  });
}

// Runs the deployment, recording it when the session has a store (not on --dry-run).
export async function runRecorded(options: RecordedRunOptions): Promise<DeployOutput> {
  const { session, plan } = options;
  const store = session.store;
  if (!store) return runDeployment({ plan, handlers: options.handlers, bus: session.bus, inspect: options.inspect });
  store.writeHeader(headerFor(options));
  store.writePlan(plan);
  store.beginSegment(1, 'run');
  const recorder = createRecorder(store, session.bus, plan, { killAt: killAt(session) });
  try {
    const inspect = (event: InspectionEvent) => {
      recorder.inspect(event);
      options.inspect?.(event);
    };
    const output = await runDeployment({ plan, handlers: aroundHandlers(options.handlers, recorder.step), bus: session.bus, store, inspect });
    recorder.finish(output);
    return output;
  } finally {
    recorder.detach();
    store.close();
  }
}

// --- resume -------------------------------------------------------------------------------------

// What must hold for a run to be continued: the same config, secrets, machines and plan.
export function resumeRefusal(record: RunRecord, now: { header: RunHeader; plan: DeployPlan }): string | undefined {
  const was = record.header as RunHeader;
  const id = record.runId;
  if (was.machineVersion !== now.header.machineVersion) {
    return `Run ${id} was recorded by other deployment machines (version ${was.machineVersion}, this Sextant has ${now.header.machineVersion}); it cannot be resumed. Start a new deploy.`;
  }
  if (was.configHash !== now.header.configHash) {
    return `The config changed since run ${id} started (${was.request.configFile}${was.request.destination ? `, destination ${was.request.destination}` : ''}); resuming would mix two configs. Restore it, or start a new deploy.`;
  }
  const added = now.header.secretNames.filter((n) => !was.secretNames.includes(n));
  const removed = was.secretNames.filter((n) => !now.header.secretNames.includes(n));
  if (added.length || removed.length) {
    return `The secrets changed since run ${id} started (${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(', ')}); it cannot be resumed. Start a new deploy.`;
  }
  const { runId: _a, ...before } = record.plan as DeployPlan;
  const { runId: _b, ...after } = now.plan;
  if (JSON.stringify(before) !== JSON.stringify(after)) return `The plan for run ${id} comes out differently now (hosts, roles or stages changed); it cannot be resumed.`;
  return undefined;
}

// The recorded results a resume replays. A failed run's failure, and everything after it (the
// rollback, the lock release, hosts that went on), is set aside to run again; so is the whole role
// swap that failed, since its rollback undid what its first steps did.
export function resumePrefix(record: RunRecord, plan: DeployPlan): { ends: EndEntry[]; voided: string[] } {
  const ends = effectiveEnds(record);
  const starts = startsByKey(record);
  const final = ends.findIndex((end) => !end.ok && !(end.error.kind === 'transient' && attemptOf(end, starts) < plan.retry.attempts));
  if (final < 0) return { ends, voided: [] };
  const failed = starts.get((ends[final] as EndEntry).key)?.step;
  const sameSwap = (end: EndEntry) => {
    const step = starts.get(end.key)?.step;
    return failed?.kind === 'swap' && step?.kind === 'swap' && step.host === failed.host && step.role === failed.role;
  };
  const kept = ends.filter((end, index) => index < final && !sameSwap(end));
  const keptKeys = new Set(kept.map((e) => e.key));
  return { ends: kept, voided: ends.filter((e) => !keptKeys.has(e.key)).map((e) => e.key) };
}

const attemptOf = (end: EndEntry, starts: ReturnType<typeof startsByKey>) => {
  const step = starts.get(end.key)?.step;
  return step ? stepAttempt(step) : 1;
};

export interface ResumeOptions {
  session: Session;
  record: RunRecord;
  plan: DeployPlan;
  handlers: StepHandlers;
  // Told once the replayed part is over and the rest runs for real.
  onLive?: () => void;
  // Another observer of the actors (--inspect).
  inspect?: (event: InspectionEvent) => void;
}

// Whether the replayed part leaves the run holding the deploy lock: it took it and had not given
// it back.
export function prefixHoldsLock(ends: EndEntry[], record: RunRecord): boolean {
  const starts = startsByKey(record);
  const done = (stage: string) => ends.some((e) => e.ok && starts.get(e.key)?.step.kind === 'host' && (starts.get(e.key)?.step as { stage: string }).stage === stage);
  return done('lock') && !done('unlock');
}

export async function resumeRecorded(options: ResumeOptions): Promise<DeployOutput> {
  const { session, record, plan } = options;
  const store = session.store;
  if (!store) throw new Error('a resumed run needs its run store');
  const { ends, voided } = resumePrefix(record, plan);
  const recorder = createRecorder(store, session.bus, plan, { killAt: killAt(session) });
  const sequencer = new Sequencer(ends, startsByKey(record), 'resume', undefined, undefined, unfinishedKeys(record));
  let live = false;
  const around = aroundHandlers(options.handlers, (ref, key, run) =>
    sequencer.step(ref, key, (retrying) => {
      if (!live) {
        live = true;
        options.onLive?.();
      }
      return recorder.step(ref, key, () => run(retrying));
    }),
  );
  store.beginSegment(segments(record).length + 1, 'resume', voided);
  store.finishHeader(undefined);
  try {
    const inspect = (event: InspectionEvent) => {
      recorder.inspect(event);
      options.inspect?.(event);
    };
    const output = await runDeployment({ plan, handlers: around, bus: session.bus, store, inspect });
    if (sequencer.divergence) throw sequencer.divergence;
    if (!sequencer.done) throw new Divergence(`the machines finished before asking for ${sequencer.remaining} of the recorded steps`);
    recorder.finish(output);
    return output;
  } finally {
    recorder.detach();
    store.close();
  }
}
