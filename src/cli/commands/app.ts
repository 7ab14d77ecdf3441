import { Option, type Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { addInspectOption, globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';
import { loadProject } from '../project.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
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
  return (outputs: ops.HostOutput[], type = 'App') => ops.writeHostOutputs((text) => ctx.io.out(text), outputs, { type, json: outputFormat(options) === 'json' });
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
    .option('-s, --since <time>', 'Only lines after a timestamp (e.g. 2013-01-02T13:23:37Z) or a relative time (e.g. 42m = 42 minutes ago)')
    .addOption(new Option('-n, --lines <n>', 'How many lines to print per server').argParser(integer))
    .option('-g, --grep <pattern>', 'Keep only lines matching this grep pattern (handy for finding a request by its id)');
  if (options.grepOptions !== false) command.option('--grep-options <options>', 'Extra flags passed on to grep');
  command
    .option('-f, --follow', 'Stream new lines from the primary server, or from the host given with --hosts')
    .option('-T, --skip-timestamps', 'Leave timestamps out of the log output');
  if (options.containerId) command.option('--container-id <id>', 'Read the logs of the container with this Docker ID');
  return command;
}

export function registerAppCommands(program: Command, ctx: CliContext): void {
  const app = subcommand(program, 'app', ctx).description('Control the app containers on the servers');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(app, nameAndArgs, ctx)).description(description);

  addInspectOption(leaf('boot', 'Bring the app up on the servers, rebooting it where it already runs')).action(async (options: ServerCommandOptions, command: Command) => {
    // A bare `app boot` boots the image tagged latest[-<destination>], as Kamal does.
    const globals = globalOptions(command);
    const version = globals.version ?? loadProject(globals, ctx.io).config.latestTag;
    await runDeploymentCommand(command, ctx, 'boot', options, version, 'app');
  });

  leaf('start', 'Start the stopped app containers on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.startApp(env)),
  );

  leaf('stop', 'Stop the running app containers on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.stopApp(env)),
  );

  leaf('details', 'Print the state of the app containers on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appDetails(env))),
  );

  leaf('exec [cmd...]', 'Run a command in an app container on the servers (--help lists the options)')
    .option('-i, --interactive', 'Attach your terminal to the command over ssh (for a console or bash)')
    .option('--reuse', 'Exec into the running container rather than starting a fresh one')
    .addOption(new Option('-e, --env <KEY:value>', 'Give the command an environment variable as KEY:value (repeatable)').argParser(envPair))
    .option('--detach', 'Run the command in a background (detached) container')
    .option('--raw', "Print only the command's output, unmodified, with no host headers or progress (Kamal 2.12)")
    .action((cmd: string[], options: ServerCommandOptions & { interactive?: boolean; reuse?: boolean; env?: Record<string, string>; detach?: boolean; raw?: boolean }, command: Command) => {
      const incompatible = options.raw ? (['interactive', 'detach'] as const).filter((key) => options[key]) : [];
      if (incompatible.length > 0) throw new UserError(`Raw is not compatible with ${incompatible.join(' or ')}`);
      return withSession(command, ctx.io, { ...options, kamalCommand: 'app', rawOutput: Boolean(options.raw) }, async ({ env }) => {
        const result = await ops.execApp(env, {
          command: cmd,
          interactive: options.interactive,
          reuse: options.reuse,
          detach: options.detach,
          env: options.env,
          version: globalOptions(command).version,
        });
        if (result.kind === 'outputs' && options.raw) for (const output of result.outputs) ctx.io.write(output.output);
        else if (result.kind === 'outputs') printer(ctx, options)(result.outputs);
        else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      });
    });

  leaf('containers', 'List the app containers on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appContainers(env))),
  );

  leaf('stale_containers', 'Find running app containers that are not the current version')
    .alias('stale-containers')
    .option('-s, --stop', 'Stop each stale container that turns up')
    .action((options: ServerCommandOptions & { stop?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.staleContainers(env, { stop: Boolean(options.stop) }))),
    );

  leaf('images', 'List the app images on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appImages(env))),
  );

  addLogOptions(leaf('logs', "Print the app's log output from the servers (--help lists the options)"), { containerId: true }).action(
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

  leaf('remove', 'Stop the app and delete its containers and images on the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeApp(env)),
  );

  leaf('live', 'Take the app out of maintenance mode so it serves requests again').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.liveApp(env)),
  );

  leaf('maintenance', 'Switch the app to maintenance mode, answering requests with a maintenance page')
    .addOption(new Option('--drain-timeout <seconds>', 'Seconds to let in-flight requests finish (default: drain_timeout in the config)').argParser(thorNumeric))
    .option('--message <text>', 'Text shown to visitors during maintenance')
    .action((options: ServerCommandOptions & { drainTimeout?: number | string; message?: string }, command: Command) =>
      inSession(command, ctx, options, (env) => ops.maintenanceApp(env, { drainTimeout: options.drainTimeout, message: options.message })),
    );

  leaf('version', 'Print the app version each server is running').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, async (env) => printer(ctx, options)(await ops.appVersion(env))),
  );

  // Kamal's hidden helpers, used by `app remove`; kept for scripts that call them.
  const hidden = (nameAndArgs: string, description: string) => {
    const command = leaf(nameAndArgs, description);
    (command as unknown as { _hidden: boolean })._hidden = true;
    return command;
  };
  hidden('remove_container <version>', 'Delete the app container of VERSION on each server').action(
    (version: string, options: ServerCommandOptions, command: Command) => inSession(command, ctx, options, (env) => ops.removeAppContainer(env, version)),
  );
  hidden('remove_containers', 'Delete all app containers on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppContainers(env)),
  );
  hidden('remove_images', 'Delete all app images on each server').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppImages(env)),
  );
  hidden('remove_app_directories', "Delete the app's directories on each server").action((options: ServerCommandOptions, command: Command) =>
    inSession(command, ctx, options, (env) => ops.removeAppDirectories(env)),
  );
}
