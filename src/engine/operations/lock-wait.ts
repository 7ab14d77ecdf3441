import { RemoteError } from '../../remote/failures.ts';
import type { StepEnv } from '../context.ts';
import { acquireLock } from '../steps/server.ts';

const LOCK_FOUND = /^Deploy lock found/;
const POLL_MS = 2000;

// Takes the deploy lock; with --lock-wait, a lock held by someone else is tried again every two
// seconds until it is released or the wait is over (then the "Deploy lock found" failure stands).
export async function acquireLockWaiting(env: StepEnv, host: string, attempt: number): Promise<void> {
  const until = Date.now() + (env.lockWaitSeconds ?? 0) * 1000;
  let announced = false;
  for (;;) {
    try {
      return await acquireLock(env, host, attempt);
    } catch (error) {
      if (!(error instanceof RemoteError) || !LOCK_FOUND.test(error.message) || Date.now() >= until) throw error;
      if (!announced) {
        env.bus.emit('log', { level: 'info', host, message: `The deploy lock is held; waiting up to ${env.lockWaitSeconds}s for it to be released`, at: Date.now() });
        announced = true;
      }
      await env.sleep(Math.min(POLL_MS, until - Date.now()));
    }
  }
}
