import type { HostStage } from '../../machines/plan.ts';
import { isUserError } from '../errors.ts';
import { RemoteError } from '../remote/failures.ts';
import type { StepEnv } from './context.ts';
import { runHook } from './hooks.ts';
import type { StepHandlers } from './run.ts';
import { bootAccessory } from './operations/accessory.ts';
import { acquireLockWaiting } from './operations/lock-wait.ts';
import { revertHost } from './operations/revert.ts';
import { processState } from './operations/runtime.ts';
import { checkRollbackContainers, prepareAssets, stopStaleContainers, swapStep, tagLatest } from './steps/app.ts';
import { buildAndPush } from './steps/build.ts';
import * as server from './steps/server.ts';

// Each stage's step; `ride` is the next stage, whose commands the step may send with its own
// (src/engine/plan.ts, `rideAlong`).
const hostStages: Record<HostStage, (env: StepEnv, host: string, attempt: number, ride?: HostStage) => Promise<void>> = {
  pull: server.pull,
  prepare: server.prepare,
  lock: acquireLockWaiting,
  unlock: server.releaseLock,
  bootstrap: server.bootstrap,
  checkRollback: checkRollbackContainers,
  network: server.network,
  proxy: server.proxyBoot,
  stopStale: stopStaleContainers,
  assets: prepareAssets,
  tagLatest,
  prune: server.prune,
  revert: revertHost,
};

// Errors reach the machines as plain messages with a kind; a user error (bad input, lock held,
// hook failed) is never worth retrying. Messages are redacted on the way.
export function classified<T>(env: StepEnv, host: string | undefined, work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    const message = env.secrets.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof RemoteError) throw Object.assign(new Error(message), { kind: error.kind });
    if (isUserError(error)) throw Object.assign(new Error(message), { kind: 'permanent' });
    throw Object.assign(new Error(host ? `[${host}] ${message}` : message), { kind: 'permanent' });
  });
}

// An unlock that failed (the primary unreachable): the message says exactly how to release the lock.
function lockLeftHeld(env: StepEnv, host: string, error: Error & { kind?: string }): Error {
  const destination = env.config.destination ? ` -d ${env.config.destination}` : '';
  const how = `The deploy lock is still held on ${host}. Once it answers, release it with: sextant lock release${destination}`;
  return Object.assign(new Error(`${error.message}\n${how}`), { kind: error.kind });
}

export function stepHandlers(env: StepEnv): StepHandlers {
  return {
    hostStep: (input) => {
      const step = classified(env, input.host, () => hostStages[input.stage](env, input.host, input.attempt, input.ride));
      return input.stage === 'unlock' ? step.catch((error: Error & { kind?: string }) => Promise.reject(lockLeftHeld(env, input.host, error))) : step;
    },
    swapStep: (input) => classified(env, input.host, () => swapStep(env, input)),
    build: () => classified(env, undefined, () => buildAndPush(env)),
    // The machine says whether the run holds the lock; it has connected (pre-connect ran).
    accessories: (input) =>
      classified(env, undefined, async () => {
        Object.assign(processState(env), { holdingLock: input.lock, connected: true });
        await bootAccessory(env, 'all');
      }),
    hook: (input) =>
      classified(env, undefined, () =>
        runHook(env, {
          name: input.name,
          hosts: input.hosts,
          lock: input.lock,
          runtime: input.name === 'post-deploy' ? Math.round((Date.now() - env.startedAt) / 1000) : undefined,
        }),
      ),
  };
}
