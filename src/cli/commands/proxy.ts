import { Option, type Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { addLogOptions } from './app.ts';

export const PROXY_KEPT = 'kamal-proxy stays: other apps are installed on these servers (sextant proxy remove --force removes it anyway)';

// `sextant proxy …`: Kamal's cli/proxy.rb.

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UserError(`Expected a whole number, got ${value}`);
  return n;
};
const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

function inSession(command: Command, ctx: CliContext, options: ServerCommandOptions, body: (env: StepEnv) => Promise<void>): Promise<void> {
  return withSession(command, ctx.io, { ...options, kamalCommand: 'proxy' }, (session) => body(session.env));
}

function print(ctx: CliContext, options: ServerCommandOptions, outputs: ops.HostOutput[]): void {
  ops.writeHostOutputs((text) => ctx.io.out(text), outputs, { type: 'Proxy', json: options.output === 'json' });
}

interface BootConfigCliOptions extends ServerCommandOptions {
  publish: boolean;
  publishHostIp?: string[];
  httpPort: number;
  httpsPort: number;
  logMaxSize: string;
  registry?: string;
  repository?: string;
  imageVersion?: string;
  metricsPort?: number;
  debug?: boolean;
  dockerOptions?: string[];
}

interface RebootOptions extends ServerCommandOptions {
  rolling?: boolean;
  confirmed?: boolean;
}

export function registerProxyCommands(program: Command, ctx: CliContext): void {
  const proxy = subcommand(program, 'proxy', ctx).description('Manage kamal-proxy');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(proxy, nameAndArgs, ctx)).description(description);

  leaf('boot', 'Boot proxy on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.bootProxy(env)),
  );

  leaf('boot_config <subcommand>', 'Manage kamal-proxy boot configuration (set, get or reset)')
    .alias('boot-config')
    .option('--publish', 'Publish the proxy ports on the host (default)', true)
    .option('--no-publish', "Don't publish the proxy ports on the host")
    .addOption(new Option('--publish-host-ip <ip>', 'Host IP address to bind HTTP/HTTPS traffic to (repeatable). Defaults to all interfaces').argParser(repeatable))
    .addOption(new Option('--http-port <port>', 'HTTP port to publish on the host').argParser(integer).default(80))
    .addOption(new Option('--https-port <port>', 'HTTPS port to publish on the host').argParser(integer).default(443))
    .option('--log-max-size <size>', 'Max size of proxy logs', '10m')
    .option('--registry <registry>', 'Registry to use for the proxy image')
    .option('--repository <repository>', 'Repository for the proxy image')
    .option('--image-version <version>', 'Version of the proxy to run')
    .addOption(new Option('--metrics-port <port>', 'Port to report prometheus metrics on').argParser(integer))
    .option('--debug', 'Whether to run the proxy in debug mode')
    .option('--docker-options <options...>', 'Docker options to pass to the proxy container (option=value option2=value2)')
    .action((subcommandName: string, options: BootConfigCliOptions, command: Command) => {
      if (!['set', 'get', 'reset'].includes(subcommandName)) throw new UserError(`Unknown boot_config subcommand ${subcommandName}`);
      return inSession(command, ctx, options, async (env) => {
        if (subcommandName === 'set') {
          await ops.setProxyBootConfig(env, {
            publish: options.publish,
            publishHostIps: options.publishHostIp,
            httpPort: options.httpPort,
            httpsPort: options.httpsPort,
            logMaxSize: options.logMaxSize,
            registry: options.registry,
            repository: options.repository,
            imageVersion: options.imageVersion,
            metricsPort: options.metricsPort,
            debug: options.debug,
            dockerOptions: options.dockerOptions,
          });
        } else if (subcommandName === 'get') {
          for (const { host, output } of await ops.getProxyBootConfig(env)) {
            ctx.io.out(options.output === 'json' ? JSON.stringify({ type: 'output', kind: 'Proxy boot config', host, output: output.trim() }) : `Host ${host}: ${output.trim()}`);
          }
        } else {
          await ops.resetProxyBootConfig(env);
        }
      });
    });

  leaf('reboot', 'Reboot proxy on servers (stop container, remove container, start new container)')
    .option('--rolling', 'Reboot proxy on hosts in sequence, rather than in parallel')
    .option('-y, --confirmed', 'Proceed without confirmation question')
    .action(async (options: RebootOptions, command: Command) => {
      const go = await confirmed(ctx, options, 'This will cause a brief outage on each host. Are you sure?');
      if (go) await inSession(command, ctx, options, (env) => ops.rebootProxy(env, { rolling: Boolean(options.rolling) }));
    });

  leaf('start', 'Start existing proxy container on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.startProxy(env)),
  );

  leaf('stop', 'Stop existing proxy container on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.stopProxy(env)),
  );

  leaf('restart', 'Restart existing proxy container on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.restartProxy(env)),
  );

  leaf('details', 'Show details about proxy container from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => print(ctx, options, await ops.proxyDetails(env))),
  );

  addLogOptions(leaf('logs', 'Show log lines from proxy on servers'), { grepOptions: false }).action(
    (options: ServerCommandOptions & ops.ProxyLogsRequest & { follow?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const request = { since: options.since, lines: options.lines, grep: options.grep, skipTimestamps: options.skipTimestamps };
        if (options.follow) {
          const follow = ops.followProxyLogsCommand(env, request);
          if (!follow) throw new UserError('No primary host to follow the proxy logs on');
          const code = await ops.runInteractive(env, follow.command);
          if (code !== 0) throw new UserError(`Following the logs ended with exit code ${code}`, code);
        } else {
          print(ctx, options, await ops.proxyLogs(env, request));
        }
      }),
  );

  leaf('remove', 'Remove proxy container and image from servers')
    .option('--force', 'Force removing proxy when apps are still installed')
    .action((options: ServerCommandOptions & { force?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const outcome = await ops.removeProxy(env, { force: Boolean(options.force) });
        if (outcome === 'refused') ctx.io.out(PROXY_KEPT);
        if (outcome === 'forced') ctx.io.out('--force: removing kamal-proxy although other apps are installed on these servers');
      }),
    );

  const hidden = (nameAndArgs: string, description: string) => {
    const command = leaf(nameAndArgs, description);
    (command as unknown as { _hidden: boolean })._hidden = true;
    return command;
  };
  hidden('remove_container', 'Remove proxy container from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyContainer(env)),
  );
  hidden('remove_image', 'Remove proxy image from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyImage(env)),
  );
  hidden('remove_proxy_directory', 'Remove the proxy directory from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyDirectory(env)),
  );
}

// Kamal's `confirming`: `-y` skips the question; a dry run changes nothing, so it does not ask;
// without a terminal the command refuses. "Aborted" when the answer is not y.
export async function confirmed(ctx: CliContext, options: ServerCommandOptions & { confirmed?: boolean }, question: string): Promise<boolean> {
  const go = await ops.confirm({
    question,
    confirmed: Boolean(options.confirmed || options.dryRun),
    interactive: ctx.io.isTTY && Boolean(process.stdin.isTTY),
  });
  if (!go) ctx.io.err('Aborted');
  return go;
}
