import type { Command } from 'commander';
import { cleanupTraefik, removeProxyContainer, removeProxyImage, stopProxy } from '../../commands/proxy.ts';
import type { StepEnv } from '../../engine/context.ts';
import { stepHandlers } from '../../engine/handlers.ts';
import * as ops from '../../engine/operations/index.ts';
import { deployPlan } from '../../engine/plan.ts';
import { runDeployment } from '../../engine/run.ts';
import type { Session } from '../../engine/session.ts';
import { audit, registryLogin } from '../../engine/steps/server.ts';
import { UserError } from '../../errors.ts';
import { globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { confirmed } from './proxy.ts';

// Kamal 1 → 2 (Kamal's `upgrade`, `proxy upgrade` and `accessory upgrade`, cli/main.rb, proxy.rb and
// accessory.rb at v2.6.0): Traefik gives way to kamal-proxy, the app is booted again behind it, and
// the accessories are rebooted into the `kamal` network. `--rolling` goes one host at a time.

export interface UpgradeOptions extends ServerCommandOptions {
  rolling?: boolean;
  confirmed?: boolean;
}

const say = (env: StepEnv, message: string) => env.bus.emit('log', { level: 'info', message, at: Date.now() });

// `accessory upgrade NAME`: reboot NAME (or all) on the accessory hosts, all at once or one by one.
export async function upgradeAccessories(env: StepEnv, name: string, options: { rolling: boolean }): Promise<void> {
  const hosts = env.selection.accessoryHosts;
  const groups = options.rolling ? hosts.map((host) => [host]) : [hosts];
  await ops.withLock(env, async () => {
    for (const group of groups) {
      const list = group.join(',');
      say(env, `Upgrading ${name} accessories on ${list}...`);
      await ops.rebootAccessory(ops.withSpecificHosts(env, group), name);
      say(env, `Upgraded ${name} accessories on ${list}...`);
    }
  });
}

// `proxy upgrade`: per group of hosts (all, or one at a time), Traefik and the old kamal-proxy go,
// then kamal-proxy boots, the app boots behind it (the `latest` image unless --version says
// otherwise) and old containers and images are pruned. It takes no lock of its own: each of those
// steps takes it (unless `upgrade` already holds it).
export async function upgradeProxy(session: Session, env: StepEnv, options: { rolling: boolean; version?: string }): Promise<void> {
  const hosts = env.selection.hosts;
  const groups = options.rolling ? hosts.map((host) => [host]) : [hosts];
  const version = options.version ?? env.config.latestTag;
  for (const group of groups) {
    const list = group.join(',');
    say(env, `Upgrading proxy on ${list}...`);
    await ops.hook(env, 'pre-proxy-reboot', group);
    await ops.on(env, group, async (host) => {
      const t = env.transport(host);
      await audit(env, host, 'Rebooted proxy');
      await registryLogin(env, host);
      await t.exec(cleanupTraefik());
      await t.exec(stopProxy(), { check: false });
      await t.exec(removeProxyContainer());
      await t.exec(removeProxyImage());
    });
    const narrowed = ops.withSpecificHosts(env, group, { version });
    await ops.bootProxy(narrowed);
    await bootApp(session, narrowed);
    await ops.pruneAll(narrowed);
    await ops.hook(env, 'post-proxy-reboot', group);
    say(env, `Upgraded proxy on ${list}`);
  }
}

// `app boot` on the narrowed hosts, through the deployment machine as `sextant app boot` runs it.
async function bootApp(session: Session, env: StepEnv): Promise<void> {
  const plan = deployPlan(env.config, env.selection, {
    runId: session.runId,
    command: 'boot',
    version: env.version,
    skipPush: false,
    lockInherited: env.lockInherited || ops.holdingLock(env),
  });
  const output = await runDeployment({ plan, handlers: stepHandlers(env), bus: session.bus });
  if (!output.ok) throw new UserError(`Booting the app on ${env.selection.hosts.join(',')} failed (see above)`);
}

// `upgrade`: under one lock, the proxy on the app hosts and every accessory on the accessory hosts;
// with --rolling host by host (a host's proxy, then its accessories).
export async function upgradeAll(session: Session, env: StepEnv, options: { rolling: boolean; version?: string }): Promise<void> {
  await ops.withLock(env, async () => {
    if (options.rolling) {
      for (const host of env.selection.hosts) {
        const one = ops.withSpecificHosts(env, [host]);
        say(env, `Upgrading ${host}...`);
        if (one.selection.appHosts.includes(host)) await upgradeProxy(session, one, { rolling: false, version: options.version });
        if (one.selection.accessoryHosts.includes(host)) await upgradeAccessories(one, 'all', { rolling: false });
        say(env, `Upgraded ${host}`);
      }
    } else {
      say(env, 'Upgrading all hosts...');
      await upgradeProxy(session, env, { rolling: false, version: options.version });
      await upgradeAccessories(env, 'all', { rolling: false });
      say(env, 'Upgraded all hosts');
    }
  });
}

const rollingOptions = (command: Command) =>
  serverCommandOptions(command)
    .option('--rolling', 'Upgrade one host at a time')
    .option('-y, --confirmed', "Don't ask for confirmation");

function run(command: Command, ctx: CliContext, options: UpgradeOptions, kamalCommand: string, body: (session: Session) => Promise<void>): Promise<void> {
  return withSession(command, ctx.io, { ...options, kamalCommand }, (session) => body(session));
}

export function registerUpgradeCommand(program: Command, ctx: CliContext): void {
  rollingOptions(subcommand(program, 'upgrade', ctx))
    .description('Upgrade from Kamal 1.x to 2.0: replace Traefik with kamal-proxy and restart the accessories')
    .action(async (options: UpgradeOptions, command: Command) => {
      if (!(await confirmed(ctx, options, 'This will replace Traefik with kamal-proxy and restart all accessories'))) return;
      await run(command, ctx, options, 'upgrade', (session) =>
        upgradeAll(session, session.env, { rolling: Boolean(options.rolling), version: globalOptions(command).version }),
      );
    });
}

export function addProxyUpgrade(proxy: Command, ctx: CliContext): void {
  const command = rollingOptions(subcommand(proxy, 'upgrade', ctx))
    .description('Replace Traefik with kamal-proxy on the servers (stop and remove it, start kamal-proxy, boot the app)')
    .action(async (options: UpgradeOptions, command: Command) => {
      if (!(await confirmed(ctx, options, 'This will cause a brief outage on each host. Are you sure?'))) return;
      await run(command, ctx, options, 'proxy', (session) =>
        upgradeProxy(session, session.env, { rolling: Boolean(options.rolling), version: globalOptions(command).version }),
      );
    });
  // Hidden in Kamal too: `upgrade` runs it.
  (command as unknown as { _hidden: boolean })._hidden = true;
}

export function addAccessoryUpgrade(accessory: Command, ctx: CliContext): void {
  rollingOptions(subcommand(accessory, 'upgrade <name>', ctx))
    .description("Upgrade accessories from Kamal 1.x to 2.0: reboot them in the 'kamal' network (NAME=all for every accessory)")
    .action(async (name: string, options: UpgradeOptions, command: Command) => {
      if (!(await confirmed(ctx, options, 'This will restart all accessories'))) return;
      await run(command, ctx, options, 'accessory', (session) => upgradeAccessories(session.env, name, { rolling: Boolean(options.rolling) }));
    });
}
