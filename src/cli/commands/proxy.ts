import { Option, type Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { addLogOptions } from './app.ts';
import { addProxyUpgrade } from './upgrade.ts';

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
  ops.writeHostOutputs((text) => ctx.io.out(text), outputs, { type: 'Proxy', json: outputFormat(options) === 'json' });
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
  const proxy = subcommand(program, 'proxy', ctx).description('Control kamal-proxy, the reverse proxy in front of the app');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(proxy, nameAndArgs, ctx)).description(description);

  leaf('boot', 'Run a new kamal-proxy container on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.bootProxy(env)),
  );

  leaf('boot_config <subcommand>', 'Set, get or reset the options kamal-proxy boots with')
    .alias('boot-config')
    .option('--publish', 'Bind the HTTP and HTTPS ports on the host (on by default)', true)
    .option('--no-publish', 'Leave the HTTP and HTTPS ports unbound on the host')
    .addOption(new Option('--publish-host-ip <ip>', 'Bind the HTTP/HTTPS ports only on this host IP (repeatable; default: every interface)').argParser(repeatable))
    .addOption(new Option('--http-port <port>', 'Port on the host that serves HTTP').argParser(integer).default(80))
    .addOption(new Option('--https-port <port>', 'Port on the host that serves HTTPS').argParser(integer).default(443))
    .option('--log-max-size <size>', "Largest size the proxy's logs may grow to", '10m')
    .option('--registry <registry>', 'Pull the proxy image from this registry')
    .option('--repository <repository>', 'Image repository that holds kamal-proxy (e.g. basecamp/kamal-proxy)')
    .option('--image-version <version>', 'Run this kamal-proxy version (image tag)')
    .addOption(new Option('--metrics-port <port>', 'Expose Prometheus metrics on this port').argParser(integer))
    .option('--debug', "Turn on the proxy's debug mode")
    .option('--docker-options <options...>', 'Extra docker run options for the proxy container, as option=value option2=value2')
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
            ctx.io.out(outputFormat(options) === 'json' ? JSON.stringify({ type: 'output', kind: 'Proxy boot config', host, output: output.trim() }) : `Host ${host}: ${output.trim()}`);
          }
        } else {
          await ops.resetProxyBootConfig(env);
        }
      });
    });

  leaf('reboot', 'Replace the proxy container on the servers: stop it, remove it, start a fresh one')
    .option('--rolling', 'Go one host at a time instead of all hosts at once')
    .option('-y, --confirmed', "Don't ask for confirmation")
    .action(async (options: RebootOptions, command: Command) => {
      const go = await confirmed(ctx, options, 'This will cause a brief outage on each host. Are you sure?');
      if (go) await inSession(command, ctx, options, (env) => ops.rebootProxy(env, { rolling: Boolean(options.rolling) }));
    });

  leaf('start', 'Start the stopped proxy container on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.startProxy(env)),
  );

  leaf('stop', 'Stop the running proxy container on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.stopProxy(env)),
  );

  leaf('restart', 'Restart kamal-proxy on the servers without replacing its container').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.restartProxy(env)),
  );

  leaf('details', 'Print the state of the proxy container on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => print(ctx, options, await ops.proxyDetails(env))),
  );

  addLogOptions(leaf('logs', "Print the proxy's log output from the servers"), { grepOptions: false }).action(
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

  leaf('remove', 'Take kamal-proxy off the servers, deleting its container and image')
    .option('--force', 'Remove it even while other apps still use it')
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
  hidden('remove_container', 'Delete the kamal-proxy container on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyContainer(env)),
  );
  hidden('remove_image', 'Delete the kamal-proxy image on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyImage(env)),
  );
  hidden('remove_proxy_directory', "Delete kamal-proxy's directory on each server").action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeProxyDirectory(env)),
  );
  addProxyUpgrade(proxy, ctx);
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
