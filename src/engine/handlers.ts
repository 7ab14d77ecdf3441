import type { HostStage } from '../../machines/plan.ts';
import { isUserError } from '../errors.ts';
import { RemoteError } from '../remote/failures.ts';
import type { StepEnv } from './context.ts';
import { runHook } from './hooks.ts';
import type { StepHandlers } from './run.ts';
import { bootAccessory } from './operations/accessory.ts';
import { revertHost } from './operations/revert.ts';
import { processState } from './operations/runtime.ts';
import { checkRollbackContainers, prepareAssets, stopStaleContainers, swapStep, tagLatest } from './steps/app.ts';
import { buildAndPush } from './steps/build.ts';
import * as server from './steps/server.ts';

const hostStages: Record<HostStage, (env: StepEnv, host: string, attempt: number) => Promise<void>> = {
  pull: server.pull,
  prepare: server.prepare,
  lock: server.acquireLock,
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
function classified<T>(env: StepEnv, host: string | undefined, work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    const message = env.secrets.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof RemoteError) throw Object.assign(new Error(message), { kind: error.kind });
    if (isUserError(error)) throw Object.assign(new Error(message), { kind: 'permanent' });
    throw Object.assign(new Error(host ? `[${host}] ${message}` : message), { kind: 'permanent' });
  });
}

export function stepHandlers(env: StepEnv): StepHandlers {
  return {
    hostStep: (input) => classified(env, input.host, () => hostStages[input.stage](env, input.host, input.attempt)),
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
