import * as app from '../../commands/app.ts';
import type { Command } from '../../commands/command.ts';
import * as proxy from '../../commands/proxy.ts';
import { appDirectoryCount } from '../../commands/server.ts';
import { proxyRunFor } from '../../config/index.ts';
import type { StepEnv } from '../context.ts';
import { selectedRolesOn } from '../steps/app.ts';
import { audit, network, proxyBoot, registryLogin } from '../steps/server.ts';
import { collect, hook, on, withLock, type HostOutput } from './runtime.ts';

// `sextant proxy …` (Kamal's cli/proxy.rb).

export async function bootProxy(env: StepEnv): Promise<void> {
  await withLock(env, async () => {
    await on(env, env.selection.hosts, (host) => network(env, host));
    await on(env, env.selection.proxyHosts, (host) => proxyBoot(env, host));
  });
}

// Stop, remove and run a fresh kamal-proxy (all proxy hosts at once, or one at a time with
// `rolling`), then point it again at the app containers that run now (Kamal 2.6.0 does this).
export async function rebootProxy(env: StepEnv, options: { rolling: boolean }): Promise<void> {
  const hosts = env.selection.proxyHosts;
  const groups = options.rolling ? hosts.map((host) => [host]) : [hosts];
  await withLock(env, async () => {
    for (const group of groups) {
      await hook(env, 'pre-proxy-reboot', group);
      await on(env, group, async (host) => {
        const t = env.transport(host);
        await audit(env, host, 'Rebooted proxy');
        await registryLogin(env, host);
        await t.exec(proxy.stopProxy(), { check: false });
        await t.exec(proxy.removeProxyContainer());
        await t.exec(proxy.ensureAppsConfigDirectory());
        await t.exec(proxy.runProxy(proxyRunFor(env.config, host)));
        for (const role of selectedRolesOn(env, host).filter((r) => r.runsProxy)) {
          const version = (await t.exec(app.currentRunningVersion(env.config, role), { check: false })).stdout.trim();
          const endpoint = (await t.exec(app.containerIdForVersion(env.config, role, version))).stdout.trim();
          if (endpoint) {
            env.bus.emit('log', { level: 'info', host, message: `Deploying ${endpoint} for role \`${role.name}\` on ${host}...`, at: Date.now() });
            await t.exec(app.deployToProxy({ config: env.config, role, version: env.version, target: endpoint }));
          }
        }
      });
      await hook(env, 'post-proxy-reboot', group);
    }
  });
}

export async function startProxy(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      await audit(env, host, 'Started proxy');
      await env.transport(host).exec(proxy.startProxy());
    }),
  );
}

export async function stopProxy(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      await audit(env, host, 'Stopped proxy');
      await env.transport(host).exec(proxy.stopProxy(), { check: false });
    }),
  );
}

export async function restartProxy(env: StepEnv): Promise<void> {
  await withLock(env, async () => {
    await stopProxy(env);
    await startProxy(env);
  });
}

async function eachProxyHost(env: StepEnv, command: Command, check = true): Promise<HostOutput[]> {
  const results = await collect(env, env.selection.proxyHosts, async (host) => (await env.transport(host).exec(command, { check })).stdout);
  return results.map(({ host, value }) => ({ host, output: value }));
}

export function proxyDetails(env: StepEnv): Promise<HostOutput[]> {
  return eachProxyHost(env, proxy.proxyDetails());
}

export interface ProxyLogsRequest {
  since?: string;
  lines?: number;
  grep?: string;
  grepOptions?: string;
  skipTimestamps?: boolean;
}

export function proxyLogs(env: StepEnv, request: ProxyLogsRequest): Promise<HostOutput[]> {
  const lines = request.lines ?? (request.since !== undefined || request.grep !== undefined ? undefined : 100);
  return eachProxyHost(env, proxy.proxyLogs({ timestamps: !request.skipTimestamps, since: request.since, lines, grep: request.grep, grepOptions: request.grepOptions }));
}

// `proxy logs --follow`: the ssh command that follows the primary host's proxy logs.
export function followProxyLogsCommand(env: StepEnv, request: ProxyLogsRequest): { host: string; command: Command } | undefined {
  const host = env.selection.primaryHost;
  if (!host) return undefined;
  return { host, command: proxy.followProxyLogs(env.config.ssh, host, { timestamps: !request.skipTimestamps, grep: request.grep, grepOptions: request.grepOptions }) };
}

export type ProxyRemoval = 'removed' | 'forced' | 'refused';

// Removes the proxy container, image and boot files, unless other apps still use it on some host
// (then only with `force`).
export async function removeProxy(env: StepEnv, options: { force: boolean }): Promise<ProxyRemoval> {
  return withLock(env, async () => {
    const others = await hostsWithApps(env);
    if (others.length > 0 && !options.force) return 'refused';
    await stopProxy(env);
    await removeProxyContainer(env);
    await removeProxyImage(env);
    await removeProxyDirectory(env);
    return others.length > 0 ? 'forced' : 'removed';
  });
}

async function hostsWithApps(env: StepEnv): Promise<string[]> {
  const counts = await collect(env, env.selection.proxyHosts, async (host) =>
    Number.parseInt((await env.transport(host).exec(appDirectoryCount(env.config))).stdout.trim(), 10) || 0,
  );
  return counts.filter(({ value }) => value > 0).map(({ host }) => host);
}

export async function removeProxyContainer(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      await audit(env, host, 'Removed proxy container');
      await env.transport(host).exec(proxy.removeProxyContainer());
    }),
  );
}

export async function removeProxyImage(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      await audit(env, host, 'Removed proxy image');
      await env.transport(host).exec(proxy.removeProxyImage());
    }),
  );
}

export async function removeProxyDirectory(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => void (await env.transport(host).exec(proxy.removeProxyDirectory(), { check: false }))),
  );
}

// --- boot config (no lock, as in Kamal) ----------------------------------------------------------

export async function setProxyBootConfig(env: StepEnv, options: proxy.BootConfigOptions): Promise<void> {
  // Computed first: an invalid publish address fails before any server is touched.
  const actions = proxy.bootConfigFiles(options);
  await on(env, env.selection.proxyHosts, async (host) => {
    const t = env.transport(host);
    await t.exec(proxy.ensureProxyDirectory());
    for (const action of actions) {
      if (action.kind === 'write') await t.upload(action.path, action.content, 0o644);
      else await t.exec(action.command, { check: false });
    }
  });
}

export function getProxyBootConfig(env: StepEnv): Promise<HostOutput[]> {
  return eachProxyHost(env, proxy.bootConfigGet());
}

export async function resetProxyBootConfig(env: StepEnv): Promise<void> {
  await on(env, env.selection.proxyHosts, async (host) => {
    for (const command of proxy.bootConfigReset()) await env.transport(host).exec(command, { check: false });
  });
}
