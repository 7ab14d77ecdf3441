import { assign, fromPromise, setup } from 'xstate';
import type { RetryPolicy, StepFailure } from './plan.ts';
import { canRetry, failureKind, failureMessage, firstAttempt, nextAttempt, sleepUntil } from './retry.ts';

// Swaps one role on one host to the new version, as Kamal's app boot does:
//   prepare      rename a clashing container, note the running (old) version
//   awaitBarrier non-primary roles wait for the first healthy primary-role container
//   start        audit, env file, docker run
//   health       kamal-proxy deploy (proxy roles) or the readiness poll (others)
//   stopOld      stop the previous version
// A failure in start or health goes to rollback: the new container is stopped and the previous
// one kept (or put back) behind the proxy.

export type SwapStep = 'prepare' | 'start' | 'health' | 'stopOld' | 'rollback';

export interface SwapStepInput {
  host: string;
  role: string;
  runsProxy: boolean;
  version: string;
  step: SwapStep;
  oldVersion?: string;
  attempt: number;
}

export interface SwapStepOutput {
  oldVersion?: string;
}

export type Barrier = 'none' | 'pending' | 'open' | 'closed';

export interface RoleSwapInput {
  host: string;
  role: string;
  runsProxy: boolean;
  version: string;
  barrier: Barrier;
  retry: RetryPolicy;
}

export interface RoleSwapOutput {
  ok: boolean;
  halted?: boolean;
  rolledBack?: boolean;
  failure?: StepFailure;
}

interface RoleSwapContext extends RoleSwapInput {
  oldVersion?: string;
  attempt: number;
  retryAt?: number;
  failure?: StepFailure;
  rolledBack: boolean;
}

export type BarrierEvent = { type: 'BARRIER.OPENED' } | { type: 'BARRIER.CLOSED' };

const stepInput = (context: RoleSwapContext, step: SwapStep): SwapStepInput => ({
  host: context.host,
  role: context.role,
  runsProxy: context.runsProxy,
  version: context.version,
  step,
  oldVersion: context.oldVersion,
  attempt: context.attempt,
});

const roleSwapSetup = setup({
  types: {
    input: {} as RoleSwapInput,
    context: {} as RoleSwapContext,
    events: {} as BarrierEvent,
    output: {} as RoleSwapOutput,
  },
  actors: {
    swapStep: fromPromise<SwapStepOutput, SwapStepInput>(async () => {
      throw new Error('swapStep is provided by the engine');
    }),
    sleepUntil,
  },
  guards: {
    canRetry,
    barrierOpen: ({ context }) => context.barrier === 'none' || context.barrier === 'open',
    barrierClosed: ({ context }) => context.barrier === 'closed',
  },
  actions: {
    firstAttempt: assign(firstAttempt),
    scheduleRetry: assign(({ context }) => nextAttempt({ context })),
    recordOldVersion: assign({
      oldVersion: ({ event }) => (event as unknown as { output: SwapStepOutput }).output.oldVersion,
    }),
    recordFailure: assign(({ context, event }, params: { stage: string }) => ({
      failure: failure(context, params.stage, (event as { error?: unknown }).error),
    })),
    recordRollbackFailure: assign(({ context, event }) => ({
      failure: {
        ...failure(context, context.failure?.stage ?? 'rollback', (event as { error?: unknown }).error),
        message: `${context.failure?.message ?? ''}; rollback failed: ${failureMessage((event as { error?: unknown }).error)}`,
      },
    })),
    markRolledBack: assign({ rolledBack: true }),
  },
});

type SwapAction = 'recordOldVersion' | 'markRolledBack' | 'recordRollbackFailure';

// One remote step with explicit retry states: `running` invokes the engine's step; a transient
// failure with tries left goes to `backoff`, which sleeps until an absolute deadline kept in
// context (a restored snapshot resumes the wait instead of losing a timer).
function retryingStep(step: SwapStep, next: string, failTarget: string, on: { done?: SwapAction; fail?: SwapAction } = {}) {
  return roleSwapSetup.createStateConfig({
    entry: 'firstAttempt',
    initial: 'running',
    states: {
      running: {
        invoke: {
          src: 'swapStep',
          input: ({ context }) => stepInput(context, step),
          onDone: { target: next, actions: on.done ? [on.done] : [] },
          onError: [
            { guard: 'canRetry', target: 'backoff', actions: 'scheduleRetry' },
            { target: failTarget, actions: [on.fail ?? { type: 'recordFailure', params: { stage: step } }] },
          ],
        },
      },
      backoff: {
        invoke: { src: 'sleepUntil', input: ({ context }) => ({ until: context.retryAt ?? 0 }), onDone: 'running' },
      },
    },
  });
}

export const roleSwapMachine = roleSwapSetup.createMachine({
  id: 'roleSwap',
  context: ({ input }) => ({ ...input, attempt: 1, rolledBack: false }),
  initial: 'prepare',
  // Barrier news can come while `prepare` still runs; keep it for awaitBarrier.
  on: {
    'BARRIER.OPENED': { actions: assign({ barrier: 'open' }) },
    'BARRIER.CLOSED': { actions: assign({ barrier: 'closed' }) },
  },
  output: ({ context }) => ({
    ok: context.failure === undefined,
    halted: context.failure?.stage === 'barrier' ? true : undefined,
    rolledBack: context.rolledBack || undefined,
    failure: context.failure,
  }),
  states: {
    prepare: retryingStep('prepare', '#roleSwap.awaitBarrier', '#roleSwap.failed', { done: 'recordOldVersion' }),
    awaitBarrier: {
      always: [
        { guard: 'barrierOpen', target: 'start' },
        { guard: 'barrierClosed', target: 'halted' },
      ],
      on: {
        'BARRIER.OPENED': { target: 'start', actions: assign({ barrier: 'open' }) },
        'BARRIER.CLOSED': { target: 'halted', actions: assign({ barrier: 'closed' }) },
      },
    },
    start: retryingStep('start', '#roleSwap.health', '#roleSwap.rollback'),
    health: retryingStep('health', '#roleSwap.stopOld', '#roleSwap.rollback'),
    stopOld: retryingStep('stopOld', '#roleSwap.done', '#roleSwap.failed'),
    rollback: retryingStep('rollback', '#roleSwap.failed', '#roleSwap.failed', {
      done: 'markRolledBack',
      fail: 'recordRollbackFailure',
    }),
    halted: {
      type: 'final',
      entry: assign({
        failure: ({ context }) => ({
          host: context.host,
          role: context.role,
          stage: 'barrier',
          kind: 'permanent' as const,
          message: `First primary-role container is unhealthy, not booting ${context.role} on ${context.host}`,
        }),
      }),
    },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

function failure(context: RoleSwapContext, stage: string, error: unknown): StepFailure {
  return { host: context.host, role: context.role, stage, kind: failureKind(error), message: failureMessage(error) };
}
