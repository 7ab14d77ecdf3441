import * as app from '../../commands/app.ts';
import type { Command } from '../../commands/command.ts';
import { login, needsLogin } from '../../commands/registry.ts';
import { joinCommandWords } from '../../commands/server.ts';
import { envFor, type RoleConfig } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import { CommandFailed, RemoteError } from '../../remote/failures.ts';
import type { StepEnv } from '../context.ts';
import { roleNamed, selectedRolesOn } from '../steps/app.ts';
import { audit } from '../steps/server.ts';
import { collect, on, preConnect, withLock, type HostOutput } from './runtime.ts';

// `sextant app …` (Kamal's cli/app.rb), except `boot`, which runs the deployment machine.

const trimmed = (text: string) => text.trim();

async function capture(env: StepEnv, host: string, command: Command, check = true): Promise<string> {
  return (await env.transport(host).exec(command, { check })).stdout;
}

async function runningVersion(env: StepEnv, host: string, role: RoleConfig, check = false): Promise<string> {
  return trimmed(await capture(env, host, app.currentRunningVersion(env.config, role), check));
}

// The proxy's target: the id of the container of the version that runs now.
async function runningEndpoint(env: StepEnv, host: string, role: RoleConfig): Promise<string> {
  const version = await runningVersion(env, host, role);
  return trimmed(await capture(env, host, app.containerIdForVersion(env.config, role, version)));
}

export async function startApp(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      const t = env.transport(host);
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, `Started app version ${env.version}`);
        await t.exec(app.appStart(env.config, role, env.version), { check: false });
        if (role.runsProxy) {
          const endpoint = await runningEndpoint(env, host, role);
          if (!endpoint) throw new RemoteError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`, 'permanent', host);
          await t.exec(app.deployToProxy({ config: env.config, role, version: env.version, target: endpoint }));
        }
      }
    }),
  );
}

export async function stopApp(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      const t = env.transport(host);
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, 'Stopped app', role.name);
        if (role.runsProxy && (await runningEndpoint(env, host, role))) {
          await t.exec(app.removeFromProxy(role), { check: false });
        }
        await t.exec(app.appStop(env.config, role), { check: false });
      }
    }),
  );
}

// Output of one command per selected role on each app host.
async function perRole(env: StepEnv, hosts: readonly string[], command: (role: RoleConfig) => Command): Promise<HostOutput[]> {
  const results = await collect(env, hosts, async (host) => {
    const outputs: string[] = [];
    for (const role of selectedRolesOn(env, host)) outputs.push(await capture(env, host, command(role)));
    return outputs;
  });
  return results.flatMap(({ host, value }) => value.map((output) => ({ host, output })));
}

export function appDetails(env: StepEnv): Promise<HostOutput[]> {
  return perRole(env, env.selection.appHosts, (role) => app.appDetails(env.config, role));
}

export async function appContainers(env: StepEnv): Promise<HostOutput[]> {
  const results = await collect(env, env.selection.appHosts, (host) => capture(env, host, app.listContainers(env.config)));
  return results.map(({ host, value }) => ({ host, output: value }));
}

export async function appImages(env: StepEnv): Promise<HostOutput[]> {
  const results = await collect(env, env.selection.appHosts, (host) => capture(env, host, app.listImages(env.config)));
  return results.map(({ host, value }) => ({ host, output: value }));
}

// The version running on each app host (its first selected role).
export async function appVersion(env: StepEnv): Promise<HostOutput[]> {
  const results = await collect(env, env.selection.appHosts, async (host) => {
    const role = selectedRolesOn(env, host)[0];
    return role ? runningVersion(env, host, role, true) : '';
  });
  return results.map(({ host, value }) => ({ host, output: value }));
}

// Containers of a role other than the running version: reported, or stopped (under the lock).
export async function staleContainers(env: StepEnv, options: { stop: boolean }): Promise<HostOutput[]> {
  const find = () =>
    collect(env, env.selection.appHosts, async (host) => {
      const lines: string[] = [];
      for (const role of selectedRolesOn(env, host)) {
        const versions = (await capture(env, host, app.listVersions(env.config, role), false)).split('\n').filter((v) => v !== '');
        const current = await runningVersion(env, host, role);
        for (const version of versions.filter((v) => v !== current)) {
          if (options.stop) {
            lines.push(`Stopping stale container for role ${role.name} with version ${version}`);
            await env.transport(host).exec(app.appStop(env.config, role, version), { check: false });
          } else {
            lines.push(`Detected stale container for role ${role.name} with version ${version} (use \`sextant app stale_containers --stop\` to stop)`);
          }
        }
      }
      return lines;
    });
  const results = options.stop ? await withLock(env, find) : await find();
  return results.flatMap(({ host, value }) => value.map((output) => ({ host, output })));
}

export interface AppLogsRequest {
  since?: string;
  lines?: number;
  grep?: string;
  grepOptions?: string;
  skipTimestamps?: boolean;
  containerId?: string;
}

export async function appLogs(env: StepEnv, request: AppLogsRequest): Promise<HostOutput[]> {
  const lines = request.lines ?? (request.since !== undefined || request.grep !== undefined ? undefined : 100);
  const results = await collect(env, env.selection.appHosts, async (host) => {
    const outputs: string[] = [];
    for (const role of selectedRolesOn(env, host)) {
      const command = app.appLogs(env.config, role, {
        containerId: request.containerId,
        timestamps: !request.skipTimestamps,
        since: request.since,
        lines,
        grep: request.grep,
        grepOptions: request.grepOptions,
      });
      try {
        outputs.push(await capture(env, host, command));
      } catch (error) {
        if (!(error instanceof CommandFailed)) throw error;
        outputs.push('Nothing found');
      }
    }
    return outputs;
  });
  return results.flatMap(({ host, value }) => value.map((output) => ({ host, output })));
}

// `app logs --follow`: the ssh command that follows the primary host's logs (run interactively).
export function followAppLogsCommand(env: StepEnv, request: AppLogsRequest): Command {
  const host = primaryHost(env);
  const role = primaryRoleOn(env, host);
  const lines = request.lines ?? (request.since !== undefined || request.grep !== undefined ? undefined : 10);
  return app.followAppLogs(env.config, role, host, {
    containerId: request.containerId,
    timestamps: !request.skipTimestamps,
    lines,
    grep: request.grep,
    grepOptions: request.grepOptions,
  });
}

function primaryHost(env: StepEnv): string {
  const host = env.selection.primaryHost;
  if (!host) throw new UserError('No primary host: the config has no servers (or the --hosts/--roles selection matches none)');
  return host;
}

// With --roles, the first selected role on the primary host; else the primary role.
function primaryRoleOn(env: StepEnv, host: string): RoleConfig {
  const role = env.selection.specificRoles ? selectedRolesOn(env, host)[0] : roleNamed(env, env.selection.primaryRole ?? env.config.primaryRole ?? 'web');
  if (!role) throw new UserError(`No selected role runs on ${host}`);
  return role;
}

export async function removeApp(env: StepEnv): Promise<void> {
  await withLock(env, async () => {
    await stopApp(env);
    await removeAppContainers(env);
    await removeAppImages(env);
    await removeAppDirectories(env);
  });
}

export async function removeAppContainer(env: StepEnv, version: string): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, `Removed app container with version ${version}`, role.name);
        await env.transport(host).exec(app.removeContainer(env.config, role, version));
      }
    }),
  );
}

export async function removeAppContainers(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, 'Removed all app containers', role.name);
        await env.transport(host).exec(app.removeContainers(env.config, role));
      }
    }),
  );
}

export async function removeAppImages(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      await audit(env, host, 'Removed all app images');
      await env.transport(host).exec(app.removeImages(env.config));
    }),
  );
}

export async function removeAppDirectories(env: StepEnv): Promise<void> {
  const directory = app.appDirectory(env.config);
  await withLock(env, () =>
    on(env, env.selection.appHosts, async (host) => {
      const t = env.transport(host);
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, `Removed ${directory}`, role.name);
        await t.exec(app.removeAppDirectory(env.config), { check: false });
      }
      await audit(env, host, `Removed ${directory}`);
      await t.exec(app.removeProxyAppDirectory(env.config), { check: false });
    }),
  );
}

export async function liveApp(env: StepEnv): Promise<void> {
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      for (const role of selectedRolesOn(env, host).filter((r) => r.runsProxy)) await env.transport(host).exec(app.live(role));
    }),
  );
}

export async function maintenanceApp(env: StepEnv, options: { drainTimeout?: number | string; message?: string }): Promise<void> {
  const settings = { drainTimeout: options.drainTimeout ?? env.config.drainTimeout, message: options.message };
  await withLock(env, () =>
    on(env, env.selection.proxyHosts, async (host) => {
      for (const role of selectedRolesOn(env, host).filter((r) => r.runsProxy)) await env.transport(host).exec(app.maintenance(role, settings));
    }),
  );
}

// --- app exec ------------------------------------------------------------------------------------

export interface AppExecRequest {
  // The operator's words, joined as Kamal joins them.
  command: string[];
  interactive?: boolean;
  reuse?: boolean;
  detach?: boolean;
  env?: Record<string, string>;
  // `--version` as given (the plain forms default to the latest tag, the reuse forms to the
  // running version).
  version?: string;
}

// What `app exec` does: either outputs per host, or a local command to hand the terminal to.
export type AppExecResult = { kind: 'outputs'; outputs: HostOutput[]; version: string } | { kind: 'interactive'; command: Command; version: string; host: string };

export async function execApp(env: StepEnv, request: AppExecRequest): Promise<AppExecResult> {
  await preConnect(env);
  const incompatible = (['interactive', 'reuse'] as const).filter((key) => request.detach && request[key]);
  if (incompatible.length > 0) throw new UserError(`Detach is not compatible with ${incompatible.join(' or ')}`);
  if (request.command.length === 0) throw new UserError('No command provided. You must specify a command to execute.');
  const command = joinCommandWords(request.command);
  const extraEnv = request.env;

  if (request.reuse) {
    const version = request.version ?? (await primaryRunningVersion(env)) ?? env.version;
    if (request.interactive) {
      const host = primaryHost(env);
      const role = primaryRoleOf(env);
      return { kind: 'interactive', version, host, command: app.execInExistingContainerOverSsh({ config: env.config, role, version, command, env: extraEnv, host }) };
    }
    const results = await collect(env, env.selection.appHosts, async (host) => {
      const outputs: string[] = [];
      for (const role of selectedRolesOn(env, host)) {
        await audit(env, host, `Executed cmd '${command}' on app version ${version}`, role.name);
        outputs.push(await capture(env, host, app.execInExistingContainer({ config: env.config, role, version, command, env: extraEnv })));
      }
      return outputs;
    }, { retry: false });
    return { kind: 'outputs', version, outputs: results.flatMap(({ host, value }) => value.map((output) => ({ host, output }))) };
  }

  const version = request.version ?? env.config.latestTag;
  // A local registry (Kamal 2.8) has no login.
  const registryLogin = needsLogin(env.config.registry) ? login({ registry: env.config.registry, secrets: (name) => env.secrets.get(name) }) : undefined;
  if (request.interactive) {
    const host = primaryHost(env);
    const role = primaryRoleOf(env);
    if (registryLogin) await on(env, [host], async (h) => void (await env.transport(h).exec(registryLogin)));
    const hostEnv = envFor(env.config, role.name, host);
    return { kind: 'interactive', version, host, command: app.execInNewContainerOverSsh({ config: env.config, role, version, command, env: extraEnv, hostEnv, host }) };
  }
  const results = await collect(env, env.selection.appHosts, async (host) => {
    const t = env.transport(host);
    if (registryLogin) await t.exec(registryLogin);
    const outputs: string[] = [];
    for (const role of selectedRolesOn(env, host)) {
      await audit(env, host, `Executed cmd '${command}' on app version ${version}`);
      const hostEnv = envFor(env.config, role.name, host);
      outputs.push(await capture(env, host, app.execInNewContainer({ config: env.config, role, version, command, env: extraEnv, hostEnv, detach: request.detach })));
    }
    return outputs;
  }, { retry: false });
  return { kind: 'outputs', version, outputs: results.flatMap(({ host, value }) => value.map((output) => ({ host, output }))) };
}

// Kamal's `KAMAL.primary_role`: the selection's primary role.
function primaryRoleOf(env: StepEnv): RoleConfig {
  const name = env.selection.primaryRole ?? env.config.primaryRole;
  if (!name) throw new UserError('No primary role: the config has no servers');
  return roleNamed(env, name);
}

// The version the primary host runs now (its first selected role), if any.
async function primaryRunningVersion(env: StepEnv): Promise<string | undefined> {
  const host = primaryHost(env);
  let version = '';
  await on(env, [host], async (h) => {
    const role = selectedRolesOn(env, h)[0];
    if (role) version = await runningVersion(env, h, role, true);
  });
  return version || undefined;
}
