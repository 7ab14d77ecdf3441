// Records a run as it happens: each step the machines ask for (start, then result and the redacted
// output of its commands), each machine state, and the run's finish. It sits around the engine's
// StepHandlers (the machines' only side effects) and on the actor's inspection stream, so it
// depends on neither the machines' event names nor the bus's.
import { createHash } from 'node:crypto';
import type { InspectionEvent } from 'xstate';
import type { DeployOutput } from '../../machines/deploy.ts';
import { hostGroupMachine } from '../../machines/host-group.ts';
import type { DeployPlan, StepFailure } from '../../machines/plan.ts';
import type { SwapStepInput } from '../../machines/role-swap.ts';
import type { EngineBus } from './events.ts';
import { keyCounter, RECORD_FORMAT, type CommandRecord, type RunHeader, type StepRef } from './run-record.ts';
import type { StepHandlers } from './run.ts';
import type { RunStore } from './run-store.ts';

// --- handlers as steps ------------------------------------------------------------------------

// Runs one step: `retrying` asks the step to check before acting (a previous process may have
// done part of it before it was killed).
export type RunStep = (retrying?: boolean) => Promise<unknown>;
export type AroundStep = (ref: StepRef, key: string, run: RunStep) => Promise<unknown>;

const again = (attempt: number, retrying?: boolean) => (retrying ? Math.max(attempt, 2) : attempt);

// Turns each handler call into a StepRef with its key and passes it through `around`, which
// decides whether (and how) the real handler runs. Keys are counted here, once for all layers.
export function aroundHandlers(handlers: StepHandlers, around: AroundStep): StepHandlers {
  const key = keyCounter();
  const through = <T>(ref: StepRef, run: RunStep) => around(ref, key(ref), run) as Promise<T>;
  return {
    hostStep: (input) =>
      through({ kind: 'host', host: input.host, stage: input.stage, attempt: input.attempt }, (retrying) =>
        handlers.hostStep({ ...input, attempt: again(input.attempt, retrying) }),
      ),
    swapStep: (input: SwapStepInput) =>
      through(
        { kind: 'swap', host: input.host, role: input.role, step: input.step, attempt: input.attempt, ...(input.oldVersion ? { oldVersion: input.oldVersion } : {}) },
        (retrying) => handlers.swapStep({ ...input, attempt: again(input.attempt, retrying) }),
      ),
    build: (input) => through({ kind: 'build' }, () => handlers.build(input)),
    hook: (input) => through({ kind: 'hook', name: input.name, hosts: input.hosts }, () => handlers.hook(input)),
    accessories: (input) => through({ kind: 'accessories' }, () => handlers.accessories(input)),
  };
}

export function errorKind(error: unknown): 'transient' | 'permanent' {
  return (error as { kind?: string } | null)?.kind === 'transient' ? 'transient' : 'permanent';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --- the test hook -----------------------------------------------------------------------------

const hookStage: Record<string, string> = {
  'pre-connect': 'preConnect',
  'pre-deploy': 'preDeploy',
  'docker-setup': 'dockerSetup',
  'post-deploy': 'postDeploy',
  'pre-app-boot': 'boot',
  'post-app-boot': 'boot',
};

export function stageOf(ref: StepRef): string {
  switch (ref.kind) {
    case 'host':
      return ref.stage;
    case 'swap':
      return 'boot';
    case 'hook':
      return hookStage[ref.name] ?? ref.name;
    default:
      return ref.kind;
  }
}

// SEXTANT_TEST_KILL_AT=<stage>[:<host>[:<step>]][!] — a test hook (the kill-matrix tests use it;
// see docs/runs.md): the process SIGKILLs itself when the first matching step is about to start
// (nothing of it has run), or with `!` when it has finished but before its result is logged (it
// ran, and the record does not know). <step> is a role-swap step (prepare, start, health, …).
export function killSwitch(spec: string | undefined): ((ref: StepRef, phase: 'start' | 'end') => void) | undefined {
  if (!spec) return undefined;
  const afterEnd = spec.endsWith('!');
  const [stage, host, step] = (afterEnd ? spec.slice(0, -1) : spec).split(':');
  return (ref, phase) => {
    if ((phase === 'end') !== afterEnd || stageOf(ref) !== stage) return;
    if (host && !('host' in ref && ref.host === host)) return;
    if (step && !(ref.kind === 'swap' && ref.step === step)) return;
    process.kill(process.pid, 'SIGKILL');
  };
}

// --- the recorder --------------------------------------------------------------------------------

const COMMAND_OUTPUT_LIMIT = 16 * 1024;

export interface Recorder {
  // Logs the step and runs it.
  step: AroundStep;
  // Give to the actor: records each machine's state changes.
  inspect(event: InspectionEvent): void;
  finish(output: DeployOutput): void;
  detach(): void;
}

export interface RecorderOptions {
  killAt?: string;
}

export function createRecorder(store: RunStore, bus: EngineBus, plan: DeployPlan, options: RecorderOptions = {}): Recorder {
  const kill = killSwitch(options.killAt);
  // Commands are attributed to the step running on their host (local commands: build, hooks).
  const running = new Map<string, CommandRecord[]>();
  let everywhere: CommandRecord[] | undefined; // setup's accessories run across hosts
  const commands = new Map<number, CommandRecord>();
  const unsubscribe = bus.onAny((event) => {
    if (event.type === 'command.start') {
      const into = running.get(event.host) ?? everywhere;
      if (!into) return;
      const record: CommandRecord = { host: event.host, line: event.line, output: '' };
      into.push(record);
      commands.set(event.id, record);
    } else if (event.type === 'command.output') {
      const record = commands.get(event.id);
      if (record) record.output = (record.output + event.text).slice(-COMMAND_OUTPUT_LIMIT);
    } else if (event.type === 'command.end') {
      const record = commands.get(event.id);
      if (!record) return;
      record.exitCode = event.exitCode;
      record.ms = event.durationMs;
      commands.delete(event.id);
    }
  });

  const step: AroundStep = async (ref, key, run) => {
    kill?.(ref, 'start');
    const at = Date.now();
    store.log({ e: 'start', key, step: ref, at });
    const list: CommandRecord[] = [];
    const host = 'host' in ref ? ref.host : ref.kind === 'accessories' ? undefined : 'local';
    if (host) running.set(host, list);
    else everywhere = list;
    const done = () => {
      if (host) running.delete(host);
      else everywhere = undefined;
      return list.length ? { commands: list } : {};
    };
    try {
      const output = await run();
      kill?.(ref, 'end');
      store.log({ e: 'end', key, at: Date.now(), ms: Date.now() - at, ok: true, ...(output === undefined ? {} : { output }), ...done() });
      return output;
    } catch (error) {
      kill?.(ref, 'end');
      store.log({ e: 'end', key, at: Date.now(), ms: Date.now() - at, ok: false, error: { message: errorMessage(error), kind: errorKind(error) }, ...done() });
      throw error;
    }
  };

  const states = stateTracker((actor, state) => store.log({ e: 'state', actor, state, at: Date.now() }));

  return {
    step,
    inspect: states,
    finish(output) {
      store.log({ e: 'finish', at: Date.now(), ok: output.ok, failures: output.failures });
      store.finishHeader(outcomeSummary(plan, output));
    },
    detach: unsubscribe,
  };
}

export function outcomeSummary(plan: DeployPlan, output: { ok: boolean; failures: StepFailure[] }): Pick<RunHeader, 'endedAt' | 'outcome' | 'hostResults'> {
  const failed = new Set(output.failures.map((f) => f.host).filter((h): h is string => Boolean(h)));
  // A failure of the whole run (build, a hook) fails every host.
  const all = output.failures.some((f) => !f.host);
  return {
    endedAt: Date.now(),
    outcome: output.ok ? 'succeeded' : 'failed',
    hostResults: Object.fromEntries(plan.hosts.map((h) => [h, failed.has(h) || all ? 'failed' : 'ok'])),
  };
}

// --- machine states ---------------------------------------------------------------------------

type ActorLike = { id: string; sessionId: string; _parent?: ActorLike; logic?: { id?: string } };

// Host groups only relay (machines/host-group.ts): they are left out of the paths and the record,
// so a host is `deploy/<host>` whatever group holds it.
const isGroup = (ref: ActorLike) => ref.logic?.id === hostGroupMachine.id;

export const stateName = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}.${stateName(v)}`)
        .join(',');

// Calls `record(actor, state)` each time a machine actor enters a new state. `actor` is the path of
// ids from the root (`deploy`, `deploy/10.0.0.2`, `deploy/10.0.0.2/swap#2` for the second actor
// invoked there): stable from one run of the same plan to the next.
export function stateTracker(record: (actor: string, state: string) => void): (event: InspectionEvent) => void {
  const names = new Map<string, string>(); // sessionId → path
  const instances = new Map<string, number>();
  const last = new Map<string, string>();
  const pathOf = (ref: ActorLike): string => {
    const known = names.get(ref.sessionId);
    if (known) return known;
    const parent = ref._parent && isGroup(ref._parent) ? ref._parent._parent : ref._parent;
    const base = parent ? `${pathOf(parent)}/${ref.id}` : ref.id;
    const n = (instances.get(base) ?? 0) + 1;
    instances.set(base, n);
    const path = n === 1 ? base : `${base}#${n}`;
    names.set(ref.sessionId, path);
    return path;
  };
  return (event) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as { value?: unknown; status?: string } | undefined;
    if (!snapshot || !('value' in snapshot) || snapshot.value === undefined) return;
    const ref = event.actorRef as unknown as ActorLike;
    if (isGroup(ref)) return;
    const state = stateName(snapshot.value) + (snapshot.status === 'done' ? ' (done)' : snapshot.status === 'stopped' ? ' (stopped)' : '');
    if (last.get(ref.sessionId) === state) return;
    last.set(ref.sessionId, state);
    record(pathOf(ref), state);
  };
}

// --- the request -------------------------------------------------------------------------------

export function configHash(config: object): string {
  const { cwd: _cwd, ...rest } = config as { cwd?: string };
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

export function newHeader(fields: Omit<RunHeader, 'format' | 'startedAt'>): RunHeader {
  return { format: RECORD_FORMAT, startedAt: Date.now(), ...fields };
}
