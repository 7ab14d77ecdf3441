import { ensureLocalDockerInstalled } from '../../commands/docker.ts';
import { localRegistryRemove, localRegistrySetup, login, logout } from '../../commands/registry.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { registryLogin } from '../steps/server.ts';
import { on } from './runtime.ts';

// `sextant registry login|logout` (Kamal's cli/registry.rb): on this machine, then on every
// selected host.

export interface RegistryRequest {
  skipLocal?: boolean;
  skipRemote?: boolean;
}

export async function checkLocalDocker(env: StepEnv): Promise<void> {
  const check = await env.local.exec(ensureLocalDockerInstalled(), { check: false });
  if (check.exitCode !== 0) {
    throw new UserError(/command not found/.test(check.stderr + check.stdout) ? 'Docker is not installed locally' : 'Docker buildx plugin is not installed locally');
  }
}

export async function registryLoginEverywhere(env: StepEnv, request: RegistryRequest = {}): Promise<void> {
  // Kamal 2.8's local registry: its container is started here; servers have nothing to log in to.
  const local = env.config.registry.local;
  if (local) {
    if (!request.skipLocal) {
      await checkLocalDocker(env);
      await env.local.exec(localRegistrySetup(local.port));
    }
    return;
  }
  if (!request.skipLocal) {
    await checkLocalDocker(env);
    await env.local.exec(login({ registry: env.config.registry, secrets: (name) => env.secrets.get(name) }));
  }
  if (!request.skipRemote) await on(env, env.selection.hosts, (host) => registryLogin(env, host));
}

export async function registryLogoutEverywhere(env: StepEnv, request: RegistryRequest = {}): Promise<void> {
  if (env.config.registry.local) {
    if (!request.skipLocal) await env.local.exec(localRegistryRemove(), { check: false });
    return;
  }
  if (!request.skipLocal) await env.local.exec(logout(env.config.registry));
  if (!request.skipRemote) await on(env, env.selection.hosts, async (host) => void (await env.transport(host).exec(logout(env.config.registry))));
}
