import { fromPromise } from 'xstate';
import type { RetryPolicy } from './plan.ts';

// Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of
// many hosts spread out but never come back sooner than half the nominal delay.
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: number): number {
  const nominal = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + (nominal / 2) * random);
}

// Errors thrown by the engine's step actors carry a kind; anything else counts as permanent.
export function failureKind(error: unknown): 'transient' | 'permanent' {
  return (error as { kind?: string } | null)?.kind === 'transient' ? 'transient' : 'permanent';
}

export function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Waits until an absolute time, so a wait restored from a snapshot ends when it would have. A
// stopped actor clears its timer: a stopped run must not keep the process alive until then.
export const sleepUntil = fromPromise<void, { until: number }>(
  ({ input, signal }) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, input.until - Date.now()));
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }),
);

// The time and a random number, read by an actor rather than inside `assign`: the machines stay
// pure functions of their events, so a run replayed with the same actor outputs makes the same
// decisions (the same deadlines, the same events).
export interface ClockReading {
  now: number;
  random: number;
}

export const readClock = fromPromise<ClockReading, void>(async () => ({ now: Date.now(), random: Math.random() }));

// The guard and the context updates every retrying machine shares (host, role-swap).
export interface RetryContext {
  attempt: number;
  retryAt?: number;
  retry: RetryPolicy;
}

export const canRetry = (context: RetryContext, error: unknown): boolean =>
  failureKind(error) === 'transient' && context.attempt < context.retry.attempts;

export const firstAttempt = { attempt: 1, retryAt: undefined } as const;

export const nextAttempt = (context: RetryContext, clock: ClockReading) => ({
  retryAt: clock.now + backoffDelayMs(context.attempt, context.retry, clock.random),
  attempt: context.attempt + 1,
});
