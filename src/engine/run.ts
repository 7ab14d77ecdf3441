import { createActor, fromPromise, toPromise, type InspectionEvent } from 'xstate';
import { deployMachine, type DeployOutput, type HookInput } from '../../machines/deploy.ts';
import { hostMachine, type HostStepInput } from '../../machines/host.ts';
import type { DeployPlan } from '../../machines/plan.ts';
import { roleSwapMachine, type SwapStepInput, type SwapStepOutput } from '../../machines/role-swap.ts';
import type { EngineBus } from './events.ts';
import type { RunStore } from './run-store.ts';

// What the machines' named actors do. The engine builds these over real, recording or in-memory
// transports; the machines never see how.
export interface StepHandlers {
  hostStep(input: HostStepInput): Promise<void>;
  swapStep(input: SwapStepInput): Promise<SwapStepOutput>;
  build(input: { version: string }): Promise<void>;
  hook(input: HookInput): Promise<void>;
  accessories(): Promise<void>;
}

// The machines with their named actors doing what `handlers` say. Tests use these too, with fake
// handlers, so the wiring they exercise is the engine's own.
export function providedRoleSwapMachine(handlers: StepHandlers) {
  return roleSwapMachine.provide({
    actors: { swapStep: fromPromise<SwapStepOutput, SwapStepInput>(({ input }) => handlers.swapStep(input)) },
  });
}

export function providedHostMachine(handlers: StepHandlers) {
  return hostMachine.provide({
    actors: {
      hostStep: fromPromise<void, HostStepInput>(({ input }) => handlers.hostStep(input)),
      roleSwap: providedRoleSwapMachine(handlers),
    },
  });
}

export function providedDeployMachine(handlers: StepHandlers) {
  return deployMachine.provide({
    actors: {
      build: fromPromise<void, { version: string }>(({ input }) => handlers.build(input)),
      hook: fromPromise<void, HookInput>(({ input }) => handlers.hook(input)),
      accessories: fromPromise<void, void>(() => handlers.accessories()),
      host: providedHostMachine(handlers),
    },
  });
}

export interface RunOptions {
  plan: DeployPlan;
  handlers: StepHandlers;
  bus: EngineBus;
  store?: RunStore;
  // A persisted snapshot to continue from instead of starting the plan afresh.
  snapshot?: unknown;
  // Passed to the actor for the Stately inspector (or any other observer).
  inspect?: (event: InspectionEvent) => void;
}

type SnapshotLike = { value: unknown; context: Record<string, unknown> };

const stateName = (value: unknown): string =>
  typeof value === 'string' ? value : Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}.${stateName(v)}`).join(',');

// Turns the actor system's transitions into the bus's typed events.
function translate(bus: EngineBus, plan: DeployPlan) {
  const last = new Map<string, string>();
  const hosts = new Set(plan.hosts);
  return (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as unknown as SnapshotLike;
    if (!snapshot?.context) return;
    const actor = event.actorRef as unknown as { id: string; sessionId: string };
    const id = actor.id;
    const state = stateName(snapshot.value);
    const key = `${actor.sessionId}`;
    if (last.get(key) === state) return;
    last.set(key, state);
    const at = Date.now();
    const context = snapshot.context;
    if (actor.sessionId === event.rootId) {
      if (!state.includes('.')) bus.emit('stage.started', { stage: state, at });
      return;
    }
    if (hosts.has(id)) {
      bus.emit('host.state', { host: id, state, attempt: Number(context.attempt ?? 1), at });
      if (state.endsWith('.backoff')) {
        bus.emit('retry', {
          host: id,
          step: state.split('.')[0] as string,
          attempt: Number(context.attempt),
          delayMs: Math.max(0, Number(context.retryAt ?? at) - at),
          at,
        });
      }
      return;
    }
    if (typeof context.role === 'string' && typeof context.host === 'string') {
      const host = context.host;
      const role = context.role;
      bus.emit('host.state', { host, state: `boot.${role}.${state}`, attempt: Number(context.attempt ?? 1), at });
      if (state.endsWith('.backoff')) {
        bus.emit('retry', { host, step: `${role}.${state.split('.')[0]}`, attempt: Number(context.attempt), delayMs: Math.max(0, Number(context.retryAt ?? at) - at), at });
      }
      if (state === 'rollback.running' && Number(context.attempt) === 1) {
        const failure = context.failure as { message?: string } | undefined;
        bus.emit('rollback', { host, role, reason: failure?.message ?? 'boot failed', at });
      }
    }
  };
}

export async function runDeployment(options: RunOptions): Promise<DeployOutput> {
  const { plan, bus, store } = options;
  const toBus = translate(bus, plan);
  const machine = providedDeployMachine(options.handlers);
  const actor = createActor(machine, {
    input: plan,
    id: 'deploy',
    systemId: 'deploy',
    ...(options.snapshot ? { snapshot: options.snapshot as never } : {}),
    inspect: (event) => {
      toBus(event);
      options.inspect?.(event);
      if (store && event.type === '@xstate.snapshot') store.saveSnapshot(() => actor.getPersistedSnapshot());
    },
  });
  const unsubscribe = store ? bus.onAny((event) => store.appendEvent(event)) : undefined;
  const startedAt = Date.now();
  bus.emit('run.started', { runId: plan.runId, command: plan.command, version: plan.version, hosts: plan.hosts, at: startedAt });
  actor.start();
  try {
    const output = await toPromise(actor);
    bus.emit('run.finished', {
      runId: plan.runId,
      ok: output.ok,
      failures: output.failures.map(({ host, role, stage, message }) => ({ host, role, stage, message })),
      durationMs: Date.now() - startedAt,
      at: Date.now(),
    });
    return output;
  } finally {
    store?.saveSnapshot(() => actor.getPersistedSnapshot());
    store?.flush();
    unsubscribe?.();
    actor.stop();
  }
}
