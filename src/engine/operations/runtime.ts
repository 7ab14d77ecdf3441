import { backoffDelayMs } from '../../../machines/retry.ts';
import { selectHosts } from '../../config/index.ts';
import { UserError, isUserError } from '../../errors.ts';
import { RemoteError } from '../../remote/failures.ts';
import type { StepEnv } from '../context.ts';
import { runHook } from '../hooks.ts';
import { prepare, releaseLock } from '../steps/server.ts';
import { acquireLockWaiting } from './lock-wait.ts';

// What one CLI process remembers between operations, as Kamal's commander does: whether the
// pre-connect hook already ran and whether this process holds the deploy lock. Kept beside the
// (immutable) StepEnv rather than in it, so nested operations (`app remove` → stop, …) share it.
interface ProcessState {
  connected: boolean;
  holdingLock: boolean;
}

const states = new WeakMap<StepEnv, ProcessState>();

export function processState(env: StepEnv): ProcessState {
  let state = states.get(env);
  if (!state) {
    // KAMAL_LOCK=true: a parent process (a hook calling us) already holds the lock.
    state = { connected: false, holdingLock: env.lockInherited };
    states.set(env, state);
  }
  return state;
}

export function holdingLock(env: StepEnv): boolean {
  return processState(env).holdingLock;
}

// Kamal's `with_specific_hosts`: the same process (lock, pre-connect) working on `hosts` only,
// with the roles it was limited to (-r) kept. No hosts at all leaves the selection as it is (as in Kamal).
export function withSpecificHosts(env: StepEnv, hosts: readonly string[], overrides: { version?: string } = {}): StepEnv {
  const narrowed: StepEnv = {
    ...env,
    selection: hosts.length === 0 ? env.selection : selectHosts(env.config, { hosts: [...hosts], roles: env.selection.specificRoles }),
    ...(overrides.version === undefined ? {} : { version: overrides.version }),
  };
  states.set(narrowed, processState(env));
  return narrowed;
}

// Runs a hook with this process's lock state in KAMAL_LOCK.
export async function hook(env: StepEnv, name: string, hosts: string[] = env.selection.hosts): Promise<void> {
  await runHook(env, { name, hosts, lock: holdingLock(env) });
}

// Kamal runs `pre-connect` once, just before the first command that goes to a server.
export async function preConnect(env: StepEnv): Promise<void> {
  const state = processState(env);
  if (state.connected) return;
  await hook(env, 'pre-connect');
  state.connected = true;
}

export interface OnOptions {
  // Transient failures (a dropped connection, a timed-out command) are retried with the deploy's
  // backoff (x-sextant.retry), unless the work runs the operator's own command (`app exec`), which
  // must not run twice.
  retry?: boolean;
}

// Kamal's `on(hosts)`: the pre-connect hook if it has not run yet, then `work` on every host at
// once. Every host finishes before the failures are reported together.
export async function on(env: StepEnv, hosts: readonly string[], work: (host: string) => Promise<void>, options: OnOptions = {}): Promise<void> {
  // Kamal's `on` runs the hook even when there is no host to go to.
  await preConnect(env);
  if (hosts.length === 0) return;
  const results = await Promise.allSettled(hosts.map((host) => (options.retry === false ? work(host) : retrying(env, host, work))));
  const failures = results.flatMap((result, index) => (result.status === 'rejected' ? [{ host: hosts[index] as string, error: result.reason as unknown }] : []));
  if (failures.length === 0) return;
  // A bug (not a remote or user failure) keeps its stack.
  const bug = failures.find(({ error }) => !(error instanceof RemoteError) && !isUserError(error));
  if (bug) throw bug.error;
  if (failures.length === 1) throw failures[0]?.error;
  throw new UserError(failures.map(({ host, error }) => `${host}: ${messageOf(error)}`).join('\n'));
}

// One host's work, tried again after a transient failure while tries are left.
async function retrying(env: StepEnv, host: string, work: (host: string) => Promise<void>): Promise<void> {
  const settings = env.config.sextant.retry;
  const policy = { attempts: settings.attempts, baseDelayMs: settings.baseDelay * 1000, maxDelayMs: settings.maxDelay * 1000 };
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(host);
    } catch (error) {
      if (!(error instanceof RemoteError) || error.kind !== 'transient' || attempt >= policy.attempts) throw error;
      const delayMs = backoffDelayMs(attempt, policy, Math.random());
      env.bus.emit('retry', { host, step: 'command', attempt: attempt + 1, delayMs, reason: messageOf(error), at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

// Like `on`, collecting what each host's work returns, in host order.
export async function collect<T>(env: StepEnv, hosts: readonly string[], work: (host: string) => Promise<T>, options: OnOptions = {}): Promise<Array<{ host: string; value: T }>> {
  const values = new Map<string, T>();
  await on(
    env,
    hosts,
    async (host) => {
      values.set(host, await work(host));
    },
    options,
  );
  return hosts.filter((host) => values.has(host)).map((host) => ({ host, value: values.get(host) as T }));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Kamal's `with_lock`: unless this process already holds the lock (or inherited it through
// KAMAL_LOCK=true), make sure `.kamal` exists on every selected host, take the lock on the
// primary host, run `body`, and release the lock whether or not `body` succeeded.
export async function withLock<T>(env: StepEnv, body: () => Promise<T>): Promise<T> {
  const state = processState(env);
  if (state.holdingLock) return body();
  await on(env, env.selection.hosts, (host) => prepare(env, host));
  const lockHost = env.selection.primaryHost;
  if (lockHost) {
    env.bus.emit('log', { level: 'info', message: 'Acquiring the deploy lock...', at: Date.now() });
    // A retried try (after a dropped connection) may find the lock its first try took.
    let tries = 0;
    await on(env, [lockHost], (host) => acquireLockWaiting(env, host, ++tries));
  }
  state.holdingLock = true;
  let result: T;
  try {
    result = await body();
  } catch (error) {
    try {
      await release(env, lockHost);
    } catch (releaseError) {
      env.bus.emit('log', { level: 'error', message: `Error releasing the deploy lock: ${messageOf(releaseError)}`, at: Date.now() });
    }
    throw error;
  }
  await release(env, lockHost);
  return result;
}

async function release(env: StepEnv, lockHost: string | undefined): Promise<void> {
  if (lockHost) {
    env.bus.emit('log', { level: 'info', message: 'Releasing the deploy lock...', at: Date.now() });
    await on(env, [lockHost], (host) => releaseLock(env, host, 1));
  }
  processState(env).holdingLock = false;
}

// An operation's answer from one host, shown by the CLI like Kamal's `puts_by_host`.
export interface HostOutput {
  host: string;
  output: string;
}
