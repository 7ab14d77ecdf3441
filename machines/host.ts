import { assertEvent, assign, emit, enqueueActions, fromPromise, sendParent, sendTo, setup, spawnChild, stopChild } from 'xstate';
import type { HostEmitted } from './events.ts';
import type { HostStage, RetryPolicy, RolePlan, StepFailure } from './plan.ts';
import { canRetry, failureKind, failureMessage, firstAttempt, nextAttempt, readClock, sleepUntil, type ClockReading } from './retry.ts';
import { roleSwapMachine, type Barrier, type BarrierEvent, type RoleSwapOutput, type RoleSwapReport } from './role-swap.ts';

// One server's share of a deployment. The deployment sends it one stage at a time (RUN) and
// waits for every host to report back, as Kamal waits for all hosts of an `on(hosts)` block; the
// order of the stages is the deployment's. `boot` swaps the host's roles one after another (or
// all at once with `boot.parallel_roles`, Kamal 2.10), each in a role-swap child named after its
// role, and relays the primary-role barrier between the deployment and the role swaps.

export interface HostStepInput {
  host: string;
  stage: HostStage;
  version: string;
  attempt: number;
}

export interface HostInput {
  host: string;
  roles: RolePlan[];
  version: string;
  primaryRole: string;
  retry: RetryPolicy;
  // Swap all the host's roles at once (Kamal 2.10's boot.parallel_roles).
  parallelRoles?: boolean;
}

interface HostContext extends HostInput {
  // The server stage being run (set by RUN).
  stage?: HostStage;
  attempt: number;
  retryAt?: number;
  retryReason?: string;
  roleIndex: number;
  barrier: Barrier;
  // Parallel boot: the roles whose swap has not finished, and the first failure.
  swapping: string[];
  bootFailure?: RoleSwapOutput;
}

export type HostEvent = { type: 'RUN'; stage: HostStage } | { type: 'BOOT' } | BarrierEvent | RoleSwapReport;

// What a host tells its deployment.
export type HostReport =
  | { type: 'HOST.DONE'; host: string; stage: HostStage | 'boot' }
  | { type: 'HOST.FAILED'; host: string; stage: HostStage | 'boot'; failure: StepFailure }
  | { type: 'BARRIER.OPEN'; host: string }
  | { type: 'BARRIER.CLOSE'; host: string };

// The stage a RUN asked for; the `stage` state is only entered through RUN, so it is always set.
function runningStage(context: HostContext): HostStage {
  if (context.stage === undefined) throw new Error(`host ${context.host}: no stage to run`);
  return context.stage;
}

function currentRole(context: HostContext): RolePlan {
  const role = context.roles[context.roleIndex];
  if (role === undefined) throw new Error(`host ${context.host}: no role at index ${context.roleIndex}`);
  return role;
}

const hostSetup = setup({
  types: {
    input: {} as HostInput,
    context: {} as HostContext,
    events: {} as HostEvent,
    emitted: {} as HostEmitted,
  },
  actors: {
    hostStep: fromPromise<void, HostStepInput>(async () => {
      throw new Error('hostStep is provided by the engine');
    }),
    roleSwap: roleSwapMachine,
    readClock,
    sleepUntil,
  },
  guards: {
    canRetry: ({ context }, params: { error: unknown }) => canRetry(context, params.error),
    allRolesSwapped: ({ context }) => context.roleIndex >= context.roles.length,
    parallelRoles: ({ context }) => context.parallelRoles === true,
    everySwapFinished: ({ context }) => context.swapping.length === 0,
    everySwapSucceeded: ({ context }) => context.swapping.length === 0 && context.bootFailure === undefined,
    swapSucceeded: (_, params: { output: RoleSwapOutput }) => params.output.ok,
  },
  actions: {
    takeStage: assign(({ event }) => {
      assertEvent(event, 'RUN');
      return { stage: event.stage };
    }),
    firstAttempt: assign(firstAttempt),
    announceStage: emit(({ context }) => ({ type: 'host.stage.started' as const, host: context.host, stage: runningStage(context) })),
    announceBoot: emit(({ context }) => ({ type: 'host.stage.started' as const, host: context.host, stage: 'boot' as const })),
    noteRetryReason: assign((_, params: { error: unknown }) => ({ retryReason: failureMessage(params.error) })),
    scheduleRetry: assign(({ context }, params: { clock: ClockReading }) => nextAttempt(context, params.clock)),
    announceRetry: emit(({ context }, params: { clock: ClockReading }) => ({
      type: 'retry.scheduled' as const,
      host: context.host,
      step: runningStage(context),
      attempt: context.attempt,
      delayMs: Math.max(0, (context.retryAt ?? params.clock.now) - params.clock.now),
      reason: context.retryReason ?? '',
    })),
    reportStageDone: enqueueActions(({ context, enqueue }) => {
      const stage = runningStage(context);
      enqueue.sendParent({ type: 'HOST.DONE', host: context.host, stage } satisfies HostReport);
      enqueue.emit({ type: 'host.stage.finished', host: context.host, stage, ok: true });
    }),
    reportStageFailure: enqueueActions(({ context, enqueue }, params: { error: unknown }) => {
      const stage = runningStage(context);
      const failure: StepFailure = { host: context.host, stage, kind: failureKind(params.error), message: failureMessage(params.error) };
      enqueue.sendParent({ type: 'HOST.FAILED', host: context.host, stage, failure } satisfies HostReport);
      enqueue.emit({ type: 'host.stage.finished', host: context.host, stage, ok: false });
    }),
    startBoot: assign({ roleIndex: 0 }),
    spawnRoleSwap: spawnChild('roleSwap', {
      id: ({ context }) => currentRole(context).name,
      input: ({ context }) => {
        const role = currentRole(context);
        return {
          host: context.host,
          role: role.name,
          runsProxy: role.runsProxy,
          version: context.version,
          gatekeeper: role.name === context.primaryRole,
          barrier: context.barrier,
          retry: context.retry,
        };
      },
    }),
    stopRoleSwap: stopChild(({ context }) => currentRole(context).name),
    // Parallel boot: one role-swap child per role, all at once.
    spawnEveryRoleSwap: enqueueActions(({ context, enqueue }) => {
      for (const role of context.roles) {
        enqueue.spawnChild('roleSwap', {
          id: role.name,
          input: {
            host: context.host,
            role: role.name,
            runsProxy: role.runsProxy,
            version: context.version,
            gatekeeper: role.name === context.primaryRole,
            barrier: context.barrier,
            retry: context.retry,
          },
        });
      }
      enqueue.assign({ swapping: context.roles.map((role) => role.name), bootFailure: undefined });
    }),
    forwardBarrierToAll: enqueueActions(({ context, enqueue }, params: { barrier: 'open' | 'closed' }) => {
      for (const role of context.swapping) enqueue.sendTo(role, { type: params.barrier === 'open' ? 'BARRIER.OPENED' : 'BARRIER.CLOSED' } satisfies BarrierEvent);
    }),
    finishSwap: enqueueActions(({ context, enqueue }, params: { role: string; output: RoleSwapOutput }) => {
      enqueue.stopChild(params.role);
      enqueue.assign({
        swapping: context.swapping.filter((name) => name !== params.role),
        bootFailure: context.bootFailure ?? (params.output.ok ? undefined : params.output),
      });
    }),
    nextRole: assign({ roleIndex: ({ context }) => context.roleIndex + 1 }),
    reportBootDone: enqueueActions(({ context, enqueue }) => {
      enqueue.sendParent({ type: 'HOST.DONE', host: context.host, stage: 'boot' } satisfies HostReport);
      enqueue.emit({ type: 'host.stage.finished', host: context.host, stage: 'boot', ok: true });
    }),
    reportParallelBootFailure: enqueueActions(({ context, enqueue }) => {
      const failure = context.bootFailure?.failure ?? { host: context.host, stage: 'boot', kind: 'permanent', message: 'role swap failed' };
      enqueue.sendParent({ type: 'HOST.FAILED', host: context.host, stage: 'boot', failure } satisfies HostReport);
      enqueue.emit({ type: 'host.stage.finished', host: context.host, stage: 'boot', ok: false });
    }),
    reportBootFailure: enqueueActions(({ context, enqueue }, params: { output: RoleSwapOutput }) => {
      const failure = params.output.failure ?? { host: context.host, stage: 'boot', kind: 'permanent', message: 'role swap failed' };
      enqueue.sendParent({ type: 'HOST.FAILED', host: context.host, stage: 'boot', failure } satisfies HostReport);
      enqueue.emit({ type: 'host.stage.finished', host: context.host, stage: 'boot', ok: false });
    }),
    noteBarrier: assign((_, params: { barrier: Barrier }) => ({ barrier: params.barrier })),
    // The role swap waiting at the barrier hears the news from the deployment.
    forwardBarrier: sendTo(
      ({ context }) => currentRole(context).name,
      (_, params: { barrier: 'open' | 'closed' }): BarrierEvent => ({ type: params.barrier === 'open' ? 'BARRIER.OPENED' : 'BARRIER.CLOSED' }),
    ),
    // The primary role's swap decided the barrier; the deployment tells every host.
    relayBarrier: sendParent(({ context }, params: { open: boolean }): HostReport => ({
      type: params.open ? 'BARRIER.OPEN' : 'BARRIER.CLOSE',
      host: context.host,
    })),
  },
});

export const hostMachine = hostSetup.createMachine({
  id: 'host',
  description: "One server's share of the deployment: runs the stages the deployment sends, then boots its roles",
  context: ({ input }) => ({ ...input, attempt: 1, roleIndex: 0, barrier: 'pending', swapping: [] }),
  initial: 'idle',
  on: {
    'BARRIER.OPENED': { actions: { type: 'noteBarrier', params: { barrier: 'open' } } },
    'BARRIER.CLOSED': { actions: { type: 'noteBarrier', params: { barrier: 'closed' } } },
    'BARRIER.OPEN': { actions: { type: 'relayBarrier', params: { open: true } } },
    'BARRIER.CLOSE': { actions: { type: 'relayBarrier', params: { open: false } } },
  },
  states: {
    idle: {
      description: 'Waits for the deployment: RUN runs a server stage, BOOT boots the roles',
      on: {
        RUN: { target: 'stage', actions: 'takeStage' },
        BOOT: 'boot',
      },
    },
    stage: {
      description: 'Runs one server stage on this host (pull, lock, proxy, …), retrying transient failures, and reports the result',
      entry: ['firstAttempt', 'announceStage'],
      initial: 'running',
      states: {
        running: {
          description: "Runs the stage's step on the host",
          invoke: {
            src: 'hostStep',
            input: ({ context }) => ({ host: context.host, stage: runningStage(context), version: context.version, attempt: context.attempt }),
            onDone: { target: '#host.idle', actions: 'reportStageDone' },
            onError: [
              {
                guard: { type: 'canRetry', params: ({ event }) => ({ error: event.error }) },
                target: 'scheduling',
                actions: { type: 'noteRetryReason', params: ({ event }) => ({ error: event.error }) },
              },
              { target: '#host.idle', actions: { type: 'reportStageFailure', params: ({ event }) => ({ error: event.error }) } },
            ],
          },
        },
        scheduling: {
          description: 'A transient failure with tries left: reads the clock and sets the retry deadline (exponential backoff with jitter)',
          invoke: {
            src: 'readClock',
            onDone: {
              target: 'backoff',
              actions: [
                { type: 'scheduleRetry', params: ({ event }) => ({ clock: event.output }) },
                { type: 'announceRetry', params: ({ event }) => ({ clock: event.output }) },
              ],
            },
          },
        },
        backoff: {
          description: 'Waits until the retry deadline kept in context, then tries again',
          invoke: { src: 'sleepUntil', input: ({ context }) => ({ until: context.retryAt ?? 0 }), onDone: 'running' },
        },
      },
    },
    boot: {
      description: "Swaps the host's roles one after another, the primary role first (or all at once with boot.parallel_roles)",
      entry: ['startBoot', 'announceBoot'],
      initial: 'choosing',
      states: {
        choosing: {
          description: 'One role after another, unless the plan boots the roles in parallel',
          always: [{ guard: 'parallelRoles', target: 'swappingAll' }, { target: 'nextRole' }],
        },
        swappingAll: {
          description: 'A role-swap child per role, all at once; barrier news goes to every swap still running; the boot ends when every swap has finished, failed if any failed',
          entry: 'spawnEveryRoleSwap',
          always: [
            { guard: 'everySwapSucceeded', target: '#host.idle', actions: 'reportBootDone' },
            { guard: 'everySwapFinished', target: '#host.idle', actions: 'reportParallelBootFailure' },
          ],
          on: {
            'BARRIER.OPENED': {
              actions: [
                { type: 'noteBarrier', params: { barrier: 'open' } },
                { type: 'forwardBarrierToAll', params: { barrier: 'open' } },
              ],
            },
            'BARRIER.CLOSED': {
              actions: [
                { type: 'noteBarrier', params: { barrier: 'closed' } },
                { type: 'forwardBarrierToAll', params: { barrier: 'closed' } },
              ],
            },
            'SWAP.FINISHED': { actions: { type: 'finishSwap', params: ({ event }) => ({ role: event.role, output: event.output }) } },
          },
        },
        nextRole: {
          description: 'Picks the next role, or reports the boot done when every role is swapped',
          always: [{ guard: 'allRolesSwapped', target: '#host.idle', actions: 'reportBootDone' }, { target: 'swapping' }],
        },
        swapping: {
          description: 'A role-swap child, named after the role, swaps it; barrier news is passed on to it',
          entry: 'spawnRoleSwap',
          exit: 'stopRoleSwap',
          on: {
            'BARRIER.OPENED': {
              actions: [
                { type: 'noteBarrier', params: { barrier: 'open' } },
                { type: 'forwardBarrier', params: { barrier: 'open' } },
              ],
            },
            'BARRIER.CLOSED': {
              actions: [
                { type: 'noteBarrier', params: { barrier: 'closed' } },
                { type: 'forwardBarrier', params: { barrier: 'closed' } },
              ],
            },
            'SWAP.FINISHED': [
              {
                guard: { type: 'swapSucceeded', params: ({ event }) => ({ output: event.output }) },
                target: 'nextRole',
                actions: 'nextRole',
              },
              // A failed role ends the host's boot: its other roles do not start.
              { target: '#host.idle', actions: { type: 'reportBootFailure', params: ({ event }) => ({ output: event.output }) } },
            ],
          },
        },
      },
    },
  },
});
