import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import type { HostStage, RetryPolicy, RolePlan, StepFailure } from './plan.ts';
import { canRetry, failureKind, failureMessage, firstAttempt, nextAttempt, sleepUntil } from './retry.ts';
import { roleSwapMachine, type Barrier, type RoleSwapOutput } from './role-swap.ts';

// One server's share of a deployment. The deployment sends it one stage at a time (RUN) and
// waits for every host to report back, as Kamal waits for all hosts of an `on(hosts)` block.
// Each stage is a named state with explicit retry states; `boot` swaps the host's roles one after
// another and relays the primary-role barrier between the deployment and the role swaps.

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
}

interface HostContext extends HostInput {
  stage?: HostStage | 'boot';
  attempt: number;
  retryAt?: number;
  roleIndex: number;
  barrier: Barrier;
  failure?: StepFailure;
}

export type HostEvent =
  | { type: 'RUN'; stage: HostStage }
  | { type: 'BOOT' }
  | { type: 'BARRIER.OPENED' }
  | { type: 'BARRIER.CLOSED' };

// What a host tells its deployment.
export type HostReport =
  | { type: 'HOST.DONE'; host: string; stage: HostStage | 'boot' }
  | { type: 'HOST.FAILED'; host: string; stage: HostStage | 'boot'; failure: StepFailure }
  | { type: 'BARRIER.OPEN'; host: string }
  | { type: 'BARRIER.CLOSE'; host: string };

const hostSetup = setup({
  types: {
    input: {} as HostInput,
    context: {} as HostContext,
    events: {} as HostEvent,
  },
  actors: {
    hostStep: fromPromise<void, HostStepInput>(async () => {
      throw new Error('hostStep is provided by the engine');
    }),
    roleSwap: roleSwapMachine,
    sleepUntil,
  },
  guards: {
    canRetry,
    allRolesSwapped: ({ context }) => context.roleIndex >= context.roles.length,
    swapSucceeded: ({ event }) => (event as unknown as { output: RoleSwapOutput }).output.ok,
  },
  actions: {
    firstAttempt: assign({ ...firstAttempt, failure: undefined }),
    scheduleRetry: assign(({ context }) => nextAttempt({ context })),
    reportDone: sendParent(({ context }): HostReport => ({
      type: 'HOST.DONE',
      host: context.host,
      stage: context.stage ?? 'boot',
    })),
    reportStepFailure: sendParent(({ context, event }): HostReport => {
      const error = (event as { error?: unknown }).error;
      return {
        type: 'HOST.FAILED',
        host: context.host,
        stage: context.stage ?? 'boot',
        failure: { host: context.host, stage: context.stage ?? 'boot', kind: failureKind(error), message: failureMessage(error) },
      };
    }),
    reportSwapFailure: sendParent(({ context, event }): HostReport => {
      const output = (event as unknown as { output: RoleSwapOutput }).output;
      return {
        type: 'HOST.FAILED',
        host: context.host,
        stage: 'boot',
        failure: output.failure ?? { host: context.host, stage: 'boot', kind: 'permanent', message: 'role swap failed' },
      };
    }),
    // The first primary-role swap to finish decides the barrier for every other role.
    reportBarrier: enqueueActions(({ context, event, enqueue }) => {
      const role = context.roles[context.roleIndex];
      if (role?.name !== context.primaryRole) return;
      const ok = (event as unknown as { output: RoleSwapOutput }).output.ok;
      enqueue.sendParent({ type: ok ? 'BARRIER.OPEN' : 'BARRIER.CLOSE', host: context.host });
    }),
    nextRole: assign({ roleIndex: ({ context }) => context.roleIndex + 1 }),
    // A role swap waiting at the barrier hears the news; at other times there is no one to tell.
    forwardBarrier: enqueueActions(({ event, enqueue, self }) => {
      if (self.getSnapshot().children.swap) enqueue.sendTo('swap', event as { type: 'BARRIER.OPENED' | 'BARRIER.CLOSED' });
    }),
  },
});

function hostStepState(stage: HostStage) {
  return hostSetup.createStateConfig({
    entry: ['firstAttempt', assign({ stage })],
    initial: 'running',
    states: {
      running: {
        invoke: {
          src: 'hostStep',
          input: ({ context }) => ({ host: context.host, stage, version: context.version, attempt: context.attempt }),
          onDone: { target: '#host.idle', actions: 'reportDone' },
          onError: [
            { guard: 'canRetry', target: 'backoff', actions: 'scheduleRetry' },
            { target: '#host.idle', actions: 'reportStepFailure' },
          ],
        },
      },
      backoff: {
        invoke: { src: 'sleepUntil', input: ({ context }) => ({ until: context.retryAt ?? 0 }), onDone: 'running' },
      },
    },
  });
}

export const hostMachine = hostSetup.createMachine({
  id: 'host',
  context: ({ input }) => ({ ...input, attempt: 1, roleIndex: 0, barrier: 'pending' }),
  initial: 'idle',
  on: {
    'BARRIER.OPENED': { actions: [assign({ barrier: 'open' }), 'forwardBarrier'] },
    'BARRIER.CLOSED': { actions: [assign({ barrier: 'closed' }), 'forwardBarrier'] },
  },
  states: {
    idle: {
      on: {
        RUN: [
          { guard: ({ event }) => event.stage === 'pull', target: 'pull' },
          { guard: ({ event }) => event.stage === 'prepare', target: 'prepare' },
          { guard: ({ event }) => event.stage === 'lock', target: 'lock' },
          { guard: ({ event }) => event.stage === 'bootstrap', target: 'bootstrap' },
          { guard: ({ event }) => event.stage === 'checkRollback', target: 'checkRollback' },
          { guard: ({ event }) => event.stage === 'network', target: 'network' },
          { guard: ({ event }) => event.stage === 'proxy', target: 'proxy' },
          { guard: ({ event }) => event.stage === 'stale', target: 'stale' },
          { guard: ({ event }) => event.stage === 'assets', target: 'assets' },
          { guard: ({ event }) => event.stage === 'tagLatest', target: 'tagLatest' },
          { guard: ({ event }) => event.stage === 'prune', target: 'prune' },
          { guard: ({ event }) => event.stage === 'unlock', target: 'unlock' },
        ],
        BOOT: 'boot',
      },
    },
    pull: hostStepState('pull'),
    prepare: hostStepState('prepare'),
    lock: hostStepState('lock'),
    bootstrap: hostStepState('bootstrap'),
    checkRollback: hostStepState('checkRollback'),
    network: hostStepState('network'),
    proxy: hostStepState('proxy'),
    stale: hostStepState('stale'),
    assets: hostStepState('assets'),
    tagLatest: hostStepState('tagLatest'),
    prune: hostStepState('prune'),
    unlock: hostStepState('unlock'),
    boot: {
      entry: assign({ stage: 'boot' as const, roleIndex: 0, failure: undefined }),
      initial: 'nextRole',
      states: {
        nextRole: {
          always: [{ guard: 'allRolesSwapped', target: '#host.idle', actions: 'reportDone' }, { target: 'swapping' }],
        },
        swapping: {
          invoke: {
            id: 'swap',
            src: 'roleSwap',
            input: ({ context }) => {
              const role = context.roles[context.roleIndex] as RolePlan;
              return {
                host: context.host,
                role: role.name,
                runsProxy: role.runsProxy,
                version: context.version,
                barrier: role.name === context.primaryRole ? 'none' : context.barrier,
                retry: context.retry,
              };
            },
            onDone: [
              { guard: 'swapSucceeded', target: 'nextRole', actions: ['reportBarrier', 'nextRole'] },
              // A failed role ends the host's boot: its other roles do not start.
              { target: '#host.idle', actions: ['reportBarrier', 'reportSwapFailure'] },
            ],
          },
        },
      },
    },
  },
});
