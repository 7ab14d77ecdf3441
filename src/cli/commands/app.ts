import { Option, type Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';
import { loadProject } from '../project.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { runDeploymentCommand } from './deploy.ts';

// `sextant app …`: Kamal's cli/app.rb.

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UserError(`Expected a whole number, got ${value}`);
  return n;
};

// Thor's numeric option, as `app maintenance --drain_timeout` takes it: a whole number stays an
// Integer, a value with a decimal point becomes a Ruby Float, which Kamal writes back with
// Float#to_s (`2.5` → `--drain-timeout="2.5s"`, `1.0` → `"1.0s"`). The float is returned as that text.
const thorNumeric = (value: string): number | string => {
  if (!/^[-+]?(\d*\.\d+|\d+)$/.test(value)) throw new UserError(`Expected numeric value, got ${JSON.stringify(value)}`);
  return value.includes('.') ? rubyFloatText(Number(value)) : Number.parseInt(value, 10);
};

// Ruby's Float#to_s: shortest round-trip digits, always a fractional part, exponent form (`1.0e-05`)
// below 1e-4 and from 1e16.
function rubyFloatText(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-4 && abs < 1e16) {
    const text = String(n);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '', exponent = ''] = n.toExponential().split('e');
  const digits = exponent.replace(/^[-+]/, '').padStart(2, '0');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent.startsWith('-') ? '-' : '+'}${digits}`;
}

// Thor's hash option: `-e KEY:value` (repeatable).
const envPair = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UserError(`Expected KEY:value for --env, got ${value}`);
  return { ...previous, [value.slice(0, colon)]: value.slice(colon + 1) };
};

function inSession(command: Command, ctx: CliContext, options: ServerCommandOptions, body: (env: StepEnv) => Promise<void>): Promise<void> {
  return withSession(command, ctx.io, { ...options, kamalCommand: 'app' }, (session) => body(session.env));
}

function printer(ctx: CliContext, options: ServerCommandOptions) {
  return (outputs: ops.HostOutput[], type = 'App') => ops.writeHostOutputs((text) => ctx.io.out(text), outputs, { type, json: options.output === 'json' });
}

interface LogsOptions extends ServerCommandOptions {
  since?: string;
  lines?: number;
  grep?: string;
  grepOptions?: string;
  follow?: boolean;
  skipTimestamps?: boolean;
  containerId?: string;
}

export function addLogOptions(command: Command, options: { containerId?: boolean; grepOptions?: boolean } = {}): Command {
  command
    .option('-s, --since <time>', 'Show lines since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .addOption(new Option('-n, --lines <n>', 'Number of lines to show from each server').argParser(integer))
    .option('-g, --grep <pattern>', 'Show lines with grep match only (use this to fetch specific requests by id)');
  if (options.grepOptions !== false) command.option('--grep-options <options>', 'Additional options supplied to grep');
  command
    .option('-f, --follow', 'Follow log on primary server (or specific host set by --hosts)')
    .option('-T, --skip-timestamps', 'Skip appending timestamps to logging output');
  if (options.containerId) command.option('--container-id <id>', 'Docker container ID to fetch logs');
  return command;
}

export function registerAppCommands(program: Command, ctx: CliContext): void {
  const app = subcommand(program, 'app', ctx).description('Manage application');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(app, nameAndArgs, ctx)).description(description);

  leaf('boot', 'Boot app on servers (or reboot app if already running)').action(async (options: ServerCommandOptions, command: Command) => {
    // A bare `app boot` boots the image tagged latest[-<destination>], as Kamal does.
    const globals = globalOptions(command);
    const version = globals.version ?? loadProject(globals, ctx.io).config.latestTag;
    await runDeploymentCommand(command, ctx, 'boot', options, version, 'app');
  });

  leaf('start', 'Start existing app container on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.startApp(env)),
  );

  leaf('stop', 'Stop app container on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.stopApp(env)),
  );

  leaf('details', 'Show details about app containers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appDetails(env))),
  );

  leaf('exec [cmd...]', 'Execute a custom command on servers within the app container (use --help to show options)')
    .option('-i, --interactive', 'Execute command over ssh for an interactive shell (use for console/bash)')
    .option('--reuse', 'Reuse currently running container instead of starting a new one')
    .addOption(new Option('-e, --env <KEY:value>', 'Set environment variables for the command (repeatable)').argParser(envPair))
    .option('--detach', 'Execute command in a detached container')
    .action((cmd: string[], options: ServerCommandOptions & { interactive?: boolean; reuse?: boolean; env?: Record<string, string>; detach?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const result = await ops.execApp(env, {
          command: cmd,
          interactive: options.interactive,
          reuse: options.reuse,
          detach: options.detach,
          env: options.env,
          version: globalOptions(command).version,
        });
        if (result.kind === 'outputs') printer(ctx, options)(result.outputs);
        else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      }),
    );

  leaf('containers', 'Show app containers on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appContainers(env))),
  );

  leaf('stale_containers', 'Detect app stale containers')
    .alias('stale-containers')
    .option('-s, --stop', 'Stop the stale containers found')
    .action((options: ServerCommandOptions & { stop?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.staleContainers(env, { stop: Boolean(options.stop) }))),
    );

  leaf('images', 'Show app images on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appImages(env))),
  );

  addLogOptions(leaf('logs', 'Show log lines from app on servers (use --help to show options)'), { containerId: true }).action(
    (options: LogsOptions, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const request = {
          since: options.since,
          lines: options.lines,
          grep: options.grep,
          grepOptions: options.grepOptions,
          skipTimestamps: options.skipTimestamps,
          containerId: options.containerId,
        };
        if (options.follow) {
          const code = await ops.runInteractive(env, ops.followAppLogsCommand(env, request));
          if (code !== 0) throw new UserError(`Following the logs ended with exit code ${code}`, code);
        } else {
          printer(ctx, options)(await ops.appLogs(env, request));
        }
      }),
  );

  leaf('remove', 'Remove app containers and images from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeApp(env)),
  );

  leaf('live', 'Set the app to live mode').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.liveApp(env)),
  );

  leaf('maintenance', 'Set the app to maintenance mode')
    .addOption(new Option('--drain-timeout <seconds>', 'How long to allow in-flight requests to complete (defaults to drain_timeout from config)').argParser(thorNumeric))
    .option('--message <text>', 'Message to display to clients while stopped')
    .action((options: ServerCommandOptions & { drainTimeout?: number | string; message?: string }, command: Command) =>
      inSession(command, ctx, options, (env) => ops.maintenanceApp(env, { drainTimeout: options.drainTimeout, message: options.message })),
    );

  leaf('version', 'Show app version currently running on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appVersion(env))),
  );

  // Kamal's hidden helpers, used by `app remove`; kept for scripts that call them.
  const hidden = (nameAndArgs: string, description: string) => {
    const command = leaf(nameAndArgs, description);
    (command as unknown as { _hidden: boolean })._hidden = true;
    return command;
  };
  hidden('remove_container <version>', 'Remove app container with given version from servers').action(
    (version: string, options: ServerCommandOptions, command: Command) => inSession(command, ctx, options, (env) => ops.removeAppContainer(env, version)),
  );
  hidden('remove_containers', 'Remove all app containers from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppContainers(env)),
  );
  hidden('remove_images', 'Remove all app images from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppImages(env)),
  );
  hidden('remove_app_directories', 'Remove the app directories from servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppDirectories(env)),
  );
}
