import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lock from '../../commands/lock.ts';
import { CommandFailed } from '../../remote/failures.ts';
import type { StepEnv } from '../context.ts';
import { readRun, runsDirectory, runStatus } from '../run-record.ts';
import { prepare } from '../steps/server.ts';
import { acquireLockWaiting } from './lock-wait.ts';
import { on } from './runtime.ts';

// `sextant lock …` (Kamal's cli/lock.rb). The lock lives on the selection's primary host only.

const NO_LOCK = /No such file or directory/;

// `lock acquire -m MESSAGE` (the message comes from the session's lockMessage): `.kamal` on every
// selected host, then the lock on the primary host. Kamal leaves it held when the process ends.
export async function acquireDeployLock(env: StepEnv): Promise<void> {
  await on(env, env.selection.hosts, (host) => prepare(env, host));
  // A retried try (after a dropped connection) may find the lock its first try took.
  let tries = 0;
  await on(env, lockHosts(env), (host) => acquireLockWaiting(env, host, ++tries));
}

// Returns false when there was no lock to release.
export async function releaseDeployLock(env: StepEnv): Promise<boolean> {
  let released = true;
  await on(env, lockHosts(env), async (host) => {
    const result = await env.transport(host).exec(lock.release(env.config), { check: false });
    if (result.exitCode === 0) return;
    if (NO_LOCK.test(result.stderr + result.stdout)) released = false;
    else throw new CommandFailed(host, 'lock release', result.exitCode, result.stdout, result.stderr, 'permanent');
  });
  return released;
}

// The decoded lock details, or undefined when there is no lock.
export async function deployLockStatus(env: StepEnv): Promise<string | undefined> {
  let details: string | undefined;
  await on(env, lockHosts(env), async (host) => {
    const result = await env.transport(host).exec(lock.status(env.config), { check: false });
    if (result.exitCode === 0) details = result.stdout;
    else if (!NO_LOCK.test(result.stderr + result.stdout)) {
      throw new CommandFailed(host, 'lock status', result.exitCode, result.stdout, result.stderr, 'permanent');
    }
  });
  return details;
}

function lockHosts(env: StepEnv): string[] {
  return env.selection.primaryHost ? [env.selection.primaryHost] : [];
}

// What can be told about the run that holds a lock, from its details: the automatic lock of a
// Sextant run names the run, and a run recorded on this machine says whether its process lives.
export function lockHolder(env: StepEnv, details: string): string | undefined {
  const runId = /sextant run (\S+?)\)/.exec(details)?.[1];
  if (!runId) return undefined;
  if (/^Message: Canary deploy lock /m.test(details)) {
    return `Held by the canary of sextant run ${runId}: \`sextant deploy --promote\` gives it all the traffic, \`sextant deploy --abort\` removes it (docs/canary.md)`;
  }
  const dir = join(runsDirectory(env.config.cwd, env.config.runDirectory), runId);
  if (!existsSync(dir)) return `Held by sextant run ${runId}, not recorded on this machine: whether it is still running cannot be told from here`;
  const status = runStatus(readRun(dir));
  switch (status) {
    case 'running':
      return `Held by sextant run ${runId}, still running on this machine`;
    case 'interrupted':
      return `Held by sextant run ${runId}, whose process is gone: \`sextant resume ${runId}\` takes the lock over and finishes the run, \`sextant lock release\` gives it up`;
    default:
      return `Held by sextant run ${runId}, which ${status === 'broken' ? 'has an unreadable record' : `${status}`} without releasing it: \`sextant lock release\` gives it up`;
  }
}
