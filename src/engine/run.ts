import { createActor, fromPromise, toPromise, type InspectionEvent } from 'xstate';
import { deployMachine, type AccessoriesInput, type DeployOutput, type HookInput } from '../../machines/deploy.ts';
import type { MachineEvent } from '../../machines/events.ts';
import { hostMachine, type HostStepInput } from '../../machines/host.ts';
import { hostGroupMachine } from '../../machines/host-group.ts';
import type { DeployPlan, HostStage } from '../../machines/plan.ts';
import { roleSwapMachine, type SwapStepInput, type SwapStepOutput } from '../../machines/role-swap.ts';
import type { EngineBus } from './events.ts';
import { rideAlong } from './plan.ts';
import type { RunStore } from './run-store.ts';

// A host step as the engine asks for it: the machine's input, and the stage after it whose commands
// the host may send in the same round trip (src/engine/plan.ts, `rideAlong`).
export type HostStepRequest = HostStepInput & { ride?: HostStage };

// What the machines' named actors do. The engine builds these over real, recording or in-memory
// transports; the machines never see how.
export interface StepHandlers {
  hostStep(input: HostStepRequest): Promise<void>;
  swapStep(input: SwapStepInput): Promise<SwapStepOutput>;
  build(input: { version: string }): Promise<void>;
  hook(input: HookInput): Promise<void>;
  accessories(input: AccessoriesInput): Promise<void>;
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
      accessories: fromPromise<void, AccessoriesInput>(({ input }) => handlers.accessories(input)),
      hostGroup: hostGroupMachine.provide({ actors: { host: providedHostMachine(handlers) } }),
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

const MACHINE_EVENTS = new Set<string>([
  'stage.started',
  'stage.finished',
  'lock.acquired',
  'lock.released',
  'barrier.opened',
  'barrier.closed',
  'host.stage.started',
  'host.stage.finished',
  'retry.scheduled',
  'swap.step',
  'rollback.started',
  'rollback.finished',
] satisfies Array<MachineEvent['type']>);

function isMachineEvent(event: { type: string }): event is MachineEvent {
  return MACHINE_EVENTS.has(event.type);
}

// The bus's view of what a machine emitted, stamped with the time it was heard.
export function toBus(bus: EngineBus, event: MachineEvent, at = Date.now()): void {
  switch (event.type) {
    case 'stage.started':
      return bus.emit('stage.started', { stage: event.stage, at });
    case 'stage.finished':
      return bus.emit('stage.finished', { stage: event.stage, ok: event.ok, at });
    case 'lock.acquired':
    case 'lock.released':
    case 'barrier.opened':
    case 'barrier.closed':
      return bus.emit(event.type, { host: event.host, at });
    case 'host.stage.started':
      bus.emit('host.stage.started', { host: event.host, stage: event.stage, at });
      return bus.emit('host.state', { host: event.host, state: event.stage, attempt: 1, at });
    case 'host.stage.finished':
      bus.emit('host.stage.finished', { host: event.host, stage: event.stage, ok: event.ok, at });
      return bus.emit('host.state', { host: event.host, state: 'idle', attempt: 1, at });
    case 'retry.scheduled':
      return bus.emit('retry', {
        host: event.host,
        step: event.role ? `${event.role}.${event.step}` : event.step,
        attempt: event.attempt,
        delayMs: event.delayMs,
        reason: event.reason,
        at,
      });
    case 'swap.step':
      return bus.emit('host.state', { host: event.host, state: `boot.${event.role}.${event.step}`, attempt: event.attempt, at });
    case 'rollback.started':
      return bus.emit('rollback', { host: event.host, role: event.role, reason: event.reason, at });
    case 'rollback.finished':
      return bus.emit('rollback.finished', { host: event.host, role: event.role, ok: event.ok, at });
  }
}

// Every actor of the run (the deployment, each host, each role swap; restored ones too) is heard
// from the moment it is created: what it emits goes to the bus.
export function forwardMachineEvents(bus: EngineBus): (event: InspectionEvent) => void {
  return (event) => {
    if (event.type !== '@xstate.actor') return;
    const actor = event.actorRef;
    // Every actor of a machine system has `on`; the inspection type only promises ActorRefLike.
    if (!('on' in actor) || typeof actor.on !== 'function') return;
    actor.on('*', (emitted: { type: string }) => {
      if (isMachineEvent(emitted)) toBus(bus, emitted);
    });
  };
}

type ActorLike = { id: string; _parent?: ActorLike };

// The id of the root's child that holds `ref` (its part of the stored snapshot); undefined for
// the root itself.
function rootChildOf(ref: unknown): string | undefined {
  let actor = ref as ActorLike;
  if (!actor._parent) return undefined;
  while (actor._parent?._parent) actor = actor._parent;
  return actor.id;
}

// Each host step learns which stage it may do ahead. In a resumed run a replayed step runs
// nothing and so leaves nothing ahead: the stage after it sends its own commands.
function withRides(handlers: StepHandlers, plan: DeployPlan): StepHandlers {
  return {
    ...handlers,
    hostStep: (input) => {
      const ride = rideAlong(plan, input.stage, input.host);
      return handlers.hostStep(ride ? { ...input, ride } : input);
    },
  };
}

export async function runDeployment(options: RunOptions): Promise<DeployOutput> {
  const { plan, bus, store } = options;
  const forward = forwardMachineEvents(bus);
  const machine = providedDeployMachine(withRides(options.handlers, plan));
  const actor = createActor(machine, {
    input: plan,
    id: 'deploy',
    systemId: 'deploy',
    ...(options.snapshot ? { snapshot: options.snapshot as never } : {}),
    inspect: (event) => {
      forward(event);
      options.inspect?.(event);
      if (store && event.type === '@xstate.snapshot') store.saveSnapshot(() => actor.getPersistedSnapshot(), rootChildOf(event.actorRef));
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
