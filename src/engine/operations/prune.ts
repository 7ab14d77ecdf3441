import { pruneContainers as pruneContainersCommand, pruneDanglingImages, pruneTaggedImages } from '../../commands/prune.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { audit } from '../steps/server.ts';
import { on, withLock } from './runtime.ts';

// `sextant prune …` (Kamal's cli/prune.rb), on every selected host, under the lock.

export async function pruneAll(env: StepEnv): Promise<void> {
  await withLock(env, async () => {
    await pruneContainers(env);
    await pruneImages(env);
  });
}

export async function pruneImages(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.hosts, async (host) => {
      const t = env.transport(host);
      await audit(env, host, 'Pruned images');
      await t.exec(pruneDanglingImages(env.config));
      await t.exec(pruneTaggedImages(env.config));
    }),
  );
}

// Stopped containers beyond the newest `retain` (default: retain_containers).
export async function pruneContainers(env: StepEnv, retain: number = env.config.retainContainers): Promise<void> {
  if (!Number.isInteger(retain) || retain < 1) throw new UserError('retain must be at least 1');
  await withLock(env, () =>
    on(env, env.selection.hosts, async (host) => {
      await audit(env, host, 'Pruned containers');
      await env.transport(host).exec(pruneContainersCommand(env.config, retain));
    }),
  );
}
