import { assign, emit, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import type { RoleSwapEmitted } from './events.ts';
import type { RetryPolicy, StepFailure, SwapStep } from './plan.ts';
import { canRetry, failureKind, failureMessage, firstAttempt, nextAttempt, readClock, sleepUntil, type ClockReading } from './retry.ts';

// Swaps one role on one host to the new version, as Kamal's app boot does:
//   renameClash  rename a container of this very version out of the way, note the running version
//   awaitBarrier other roles wait for the first healthy primary-role container
//   start        audit, env file, docker run (then, for proxy roles, the new container's id)
//   health       kamal-proxy deploy (proxy roles) or the readiness poll (others); the primary
//                role's swap (the gatekeeper) opens the barrier as soon as this passes
//   stopOld      stop the previous version
// A failure in start or health goes to rollback: the new container is stopped and the previous
// one kept (or put back) behind the proxy.

export type { SwapStep };

export interface SwapStepInput {
  host: string;
  role: string;
  runsProxy: boolean;
  version: string;
  step: SwapStep;
  oldVersion?: string;
  // The new container's id as the start step read it right after `docker run`; without it (a
  // retried or resumed start, say) the health step reads it itself.
  containerId?: string;
  // renameClash: the start comes right after it (the role may start: the primary role, or the
  // barrier is open), so the step may send the start's commands in its round trip.
  startFollows?: boolean;
  attempt: number;
}

export interface SwapStepOutput {
  oldVersion?: string;
  containerId?: string;
}

export type Barrier = 'pending' | 'open' | 'closed';

export interface RoleSwapInput {
  host: string;
  role: string;
  runsProxy: boolean;
  version: string;
  // The primary role's swap decides the barrier (Kamal's gatekeeper); the others wait at it.
  gatekeeper: boolean;
  // What this host knew of the barrier when the swap began.
  barrier: Barrier;
  retry: RetryPolicy;
}

export interface RoleSwapOutput {
  ok: boolean;
  halted?: boolean;
  rolledBack?: boolean;
  failure?: StepFailure;
}

// What a role swap tells the host that runs it.
export type RoleSwapReport =
  | { type: 'BARRIER.OPEN' }
  | { type: 'BARRIER.CLOSE' }
  | { type: 'SWAP.FINISHED'; role: string; output: RoleSwapOutput };

export type BarrierEvent = { type: 'BARRIER.OPENED' } | { type: 'BARRIER.CLOSED' };

interface RoleSwapContext extends RoleSwapInput {
  oldVersion?: string;
  containerId?: string;
  attempt: number;
  retryAt?: number;
  // Why the current step is being retried (for the retry event).
  retryReason?: string;
  failure?: StepFailure;
  rolledBack: boolean;
}

const stepInput = (context: RoleSwapContext, step: SwapStep): SwapStepInput => ({
  host: context.host,
  role: context.role,
  runsProxy: context.runsProxy,
  version: context.version,
  step,
  oldVersion: context.oldVersion,
  containerId: context.containerId,
  ...(step === 'renameClash' && mayStart(context) ? { startFollows: true } : {}),
  attempt: context.attempt,
});

// Kamal's barrier: the primary role starts at once; the others once its first container is healthy.
const mayStart = (context: Pick<RoleSwapContext, 'gatekeeper' | 'barrier'>) => context.gatekeeper || context.barrier === 'open';

const outputOf = (context: RoleSwapContext): RoleSwapOutput => ({
  ok: context.failure === undefined,
  halted: context.failure?.stage === 'barrier' ? true : undefined,
  rolledBack: context.rolledBack || undefined,
  failure: context.failure,
});

function failure(context: RoleSwapContext, stage: string, error: unknown): StepFailure {
  return { host: context.host, role: context.role, stage, kind: failureKind(error), message: failureMessage(error) };
}

const roleSwapSetup = setup({
  types: {
    input: {} as RoleSwapInput,
    context: {} as RoleSwapContext,
    events: {} as BarrierEvent,
    output: {} as RoleSwapOutput,
    emitted: {} as RoleSwapEmitted,
  },
  actors: {
    swapStep: fromPromise<SwapStepOutput, SwapStepInput>(async () => {
      throw new Error('swapStep is provided by the engine');
    }),
    readClock,
    sleepUntil,
  },
  guards: {
    canRetry: ({ context }, params: { error: unknown }) => canRetry(context, params.error),
    mayStart: ({ context }) => mayStart(context),
    barrierClosed: ({ context }) => !context.gatekeeper && context.barrier === 'closed',
  },
  actions: {
    firstAttempt: assign(firstAttempt),
    announceStep: emit(({ context }, params: { step: SwapStep }) => ({
      type: 'swap.step' as const,
      host: context.host,
      role: context.role,
      step: params.step,
      attempt: context.attempt,
    })),
    noteRetryReason: assign((_, params: { error: unknown }) => ({ retryReason: failureMessage(params.error) })),
    scheduleRetry: assign(({ context }, params: { clock: ClockReading }) => nextAttempt(context, params.clock)),
    announceRetry: emit(({ context }, params: { step: SwapStep; clock: ClockReading }) => ({
      type: 'retry.scheduled' as const,
      host: context.host,
      role: context.role,
      step: params.step,
      attempt: context.attempt,
      delayMs: Math.max(0, (context.retryAt ?? params.clock.now) - params.clock.now),
      reason: context.retryReason ?? '',
    })),
    noteBarrier: assign((_, params: { barrier: Barrier }) => ({ barrier: params.barrier })),
    recordOldVersion: assign((_, params: { output: SwapStepOutput }) => ({ oldVersion: params.output.oldVersion })),
    recordContainerId: assign((_, params: { output: SwapStepOutput }) => ({ containerId: params.output.containerId })),
    recordFailure: assign(({ context }, params: { step: SwapStep; error: unknown }) => ({
      failure: failure(context, params.step, params.error),
    })),
    recordRollbackFailure: assign(({ context }, params: { error: unknown }) => ({
      failure: {
        ...failure(context, context.failure?.stage ?? 'rollback', params.error),
        message: `${context.failure?.message ?? ''}; rollback failed: ${failureMessage(params.error)}`,
      },
    })),
    recordHalt: assign(({ context }) => ({
      failure: {
        host: context.host,
        role: context.role,
        stage: 'barrier',
        kind: 'permanent' as const,
        message: `First primary-role container is unhealthy, not booting ${context.role} on ${context.host}`,
      },
    })),
    markRolledBack: assign({ rolledBack: true }),
    // Kamal's gatekeeper: the first primary-role container decides whether the other roles boot.
    openBarrier: enqueueActions(({ context, enqueue }) => {
      if (context.gatekeeper) enqueue.sendParent({ type: 'BARRIER.OPEN' });
    }),
    closeBarrier: enqueueActions(({ context, enqueue }) => {
      if (context.gatekeeper) enqueue.sendParent({ type: 'BARRIER.CLOSE' });
    }),
    announceRollback: emit(({ context }) => ({
      type: 'rollback.started' as const,
      host: context.host,
      role: context.role,
      reason: context.failure?.message ?? 'boot failed',
    })),
    announceRollbackEnd: emit(({ context }, params: { ok: boolean }) => ({
      type: 'rollback.finished' as const,
      host: context.host,
      role: context.role,
      ok: params.ok,
    })),
    report: sendParent(({ context }): RoleSwapReport => ({ type: 'SWAP.FINISHED', role: context.role, output: outputOf(context) })),
  },
});

interface StepOptions {
  description: string;
  next: string;
  failTarget: string;
  // Extra entry actions of the step (before its first attempt).
  entry?: Array<'closeBarrier' | 'announceRollback'>;
  done?: Array<'recordOldVersion' | 'recordContainerId' | 'openBarrier' | 'markRolledBack' | 'announceRollbackOk'>;
  // Also on failure (after the failure is recorded).
  fail?: Array<'closeBarrier'>;
  // A failed rollback keeps the first failure and adds its own.
  rollback?: boolean;
}

// One remote step with explicit retry states: `running` invokes the engine's step; a transient
// failure with tries left reads the clock (`scheduling`) and waits in `backoff` until an absolute
// deadline kept in context (a restored snapshot resumes the wait instead of losing a timer).
function retryingStep(step: SwapStep, options: StepOptions) {
  const done = (options.done ?? []).map((name) => {
    if (name === 'recordOldVersion' || name === 'recordContainerId') {
      return { type: name, params: ({ event }: { event: { output: SwapStepOutput } }) => ({ output: event.output }) };
    }
    if (name === 'announceRollbackOk') return { type: 'announceRollbackEnd' as const, params: { ok: true } };
    return { type: name };
  });
  return roleSwapSetup.createStateConfig({
    description: options.description,
    entry: [...(options.entry ?? []), 'firstAttempt'],
    initial: 'running',
    states: {
      running: {
        description: `Runs the ${step} step on the host`,
        entry: { type: 'announceStep', params: { step } },
        invoke: {
          src: 'swapStep',
          input: ({ context }) => stepInput(context, step),
          onDone: { target: options.next, actions: done },
          onError: [
            {
              guard: { type: 'canRetry', params: ({ event }) => ({ error: event.error }) },
              target: 'scheduling',
              actions: { type: 'noteRetryReason', params: ({ event }) => ({ error: event.error }) },
            },
            options.rollback
              ? {
                  target: options.failTarget,
                  actions: [
                    { type: 'recordRollbackFailure', params: ({ event }) => ({ error: event.error }) },
                    { type: 'announceRollbackEnd', params: { ok: false } },
                  ],
                }
              : {
                  target: options.failTarget,
                  actions: [{ type: 'recordFailure', params: ({ event }) => ({ step, error: event.error }) }, ...(options.fail ?? [])],
                },
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
              { type: 'announceRetry', params: ({ event }) => ({ step, clock: event.output }) },
            ],
          },
        },
      },
      backoff: {
        description: 'Waits until the retry deadline kept in context, then tries again',
        invoke: { src: 'sleepUntil', input: ({ context }) => ({ until: context.retryAt ?? 0 }), onDone: 'running' },
      },
    },
  });
}

export const roleSwapMachine = roleSwapSetup.createMachine({
  id: 'roleSwap',
  description: 'Swaps one role on one host to the new version; reports SWAP.FINISHED to its host',
  context: ({ input }) => ({ ...input, attempt: 1, rolledBack: false }),
  initial: 'renameClash',
  // Barrier news can come at any time (during renameClash, say); awaitBarrier reads what was kept.
  on: {
    'BARRIER.OPENED': { actions: { type: 'noteBarrier', params: { barrier: 'open' } } },
    'BARRIER.CLOSED': { actions: { type: 'noteBarrier', params: { barrier: 'closed' } } },
  },
  output: ({ context }) => outputOf(context),
  states: {
    renameClash: retryingStep('renameClash', {
      description: 'Renames a container of this very version out of the way (a redeploy) and notes the running version',
      next: '#roleSwap.awaitBarrier',
      failTarget: '#roleSwap.failed',
      done: ['recordOldVersion'],
      // Nothing started; the primary role closes the barrier so that the other roles halt rather
      // than wait for ever (Kamal 2.6.0 leaves them waiting).
      fail: ['closeBarrier'],
    }),
    awaitBarrier: {
      description: 'The primary role goes on; other roles wait until the first primary-role container is healthy (or not)',
      always: [
        { guard: 'mayStart', target: 'start' },
        { guard: 'barrierClosed', target: 'halted' },
      ],
    },
    start: retryingStep('start', {
      description: 'Audits, writes the env file (0600) and runs the new container (and reads its id, for kamal-proxy)',
      next: '#roleSwap.health',
      failTarget: '#roleSwap.rollback',
      done: ['recordContainerId'],
    }),
    health: retryingStep('health', {
      description: 'kamal-proxy deploy (proxy roles) or the readiness poll (others); healthy opens the barrier',
      next: '#roleSwap.stopOld',
      failTarget: '#roleSwap.rollback',
      done: ['openBarrier'],
    }),
    stopOld: retryingStep('stopOld', {
      description: 'Stops the previous version; the new one already serves',
      next: '#roleSwap.done',
      failTarget: '#roleSwap.failed',
    }),
    rollback: retryingStep('rollback', {
      description: 'The new container failed: closes the barrier (primary role), stops it and keeps or restores the previous one',
      entry: ['closeBarrier', 'announceRollback'],
      next: '#roleSwap.failed',
      failTarget: '#roleSwap.failed',
      done: ['markRolledBack', 'announceRollbackOk'],
      rollback: true,
    }),
    halted: {
      type: 'final',
      description: 'The barrier closed: this role does not boot on this host',
      entry: ['recordHalt', 'report'],
    },
    done: {
      type: 'final',
      description: 'The new version runs and the previous one is stopped',
      entry: 'report',
    },
    failed: {
      type: 'final',
      description: 'A step failed (after a rollback where one was needed)',
      entry: 'report',
    },
  },
});
