import { AUTOMATIC_LOCK_MESSAGE } from '../../commands/lock.ts';
import { RemoteError } from '../../remote/failures.ts';
import type { StepEnv } from '../context.ts';
import { acquireLock } from '../steps/server.ts';

const LOCK_FOUND = /^Deploy lock found/;

// Takes the deploy lock. With --lock-wait (Kamal 2.12's semantics), a lock that another deploy
// took automatically is tried again every interval until it is released or the wait is over;
// a lock someone took by hand (`lock acquire -m …`) is a decision to stop deploys, so it is not
// waited for. Either way the "Deploy lock found" failure, naming the holder, stands.
export async function acquireLockWaiting(env: StepEnv, host: string, attempt: number): Promise<void> {
  const wait = env.lockWait;
  const until = Date.now() + (wait?.timeoutSeconds ?? 0) * 1000;
  let announced = false;
  for (;;) {
    try {
      return await acquireLock(env, host, attempt);
    } catch (error) {
      if (!wait || !(error instanceof RemoteError) || !LOCK_FOUND.test(error.message)) throw error;
      // The holder's message, when its details could be read (Kamal 2.12 waits only for a deploy's).
      const message = /^Message: (.*)$/m.exec(error.message)?.[1];
      if (message !== undefined && !message.startsWith(AUTOMATIC_LOCK_MESSAGE)) {
        throw new RemoteError(`${error.message}\nThe deploy lock was taken by hand (not by a deploy), so --lock-wait does not wait for it`, 'permanent', host);
      }
      const remaining = until - Date.now();
      if (remaining <= 0) {
        throw new RemoteError(`${error.message}\nTimed out after ${wait.timeoutSeconds}s waiting for the deploy lock`, 'permanent', host);
      }
      if (!announced) {
        env.bus.emit('log', { level: 'info', host, message: `The deploy lock is held by another deploy; waiting up to ${wait.timeoutSeconds}s for it to be released`, at: Date.now() });
        announced = true;
      }
      const pause = Math.min(wait.intervalSeconds * 1000, remaining);
      env.bus.emit('log', { level: 'info', host, message: `Trying the deploy lock again in ${Math.ceil(pause / 1000)}s (${Math.ceil(remaining / 1000)}s of the wait left)`, at: Date.now() });
      await env.sleep(pause);
    }
  }
}
