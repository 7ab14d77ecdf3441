import { Option, type Command } from 'commander';
import { selectHosts } from '../config/index.ts';
import type { LockWait } from '../engine/context.ts';
import { openSession, type Session } from '../engine/session.ts';
import { UserError } from '../errors.ts';
import { allowUndefinedSecrets, checkSecretReferences } from '../secrets/index.ts';
import type { CliIO } from './io.ts';
import { globalOptions, type GlobalOptions } from './options.ts';
import { loadProject, type Project } from './project.ts';
import { canShowLiveView } from './render/live-view.ts';
import { attachJsonRenderer, attachPlainRenderer } from './render/plain.ts';

export type OutputFormat = 'text' | 'json';

export interface ServerCommandOptions {
  dryRun?: boolean;
  format?: OutputFormat;
  /** The old spelling of --format, on every command whose --output is not Kamal's own. */
  output?: string;
  /** --lock-wait (Kamal 2.12's switch; `--lock-wait SECONDS` is folded into it and --lock-wait-timeout). */
  lockWait?: boolean;
  lockWaitTimeout?: string;
  lockWaitInterval?: string;
}

const FORMATS: OutputFormat[] = ['text', 'json'];

// Every command that touches a server takes these. `build push` and `build dev` pass
// `{ outputAlias: false }`: there `--output` is Kamal's buildx export type.
export function serverCommandOptions(command: Command, options: { outputAlias?: boolean } = {}): Command {
  command
    .option('--dry-run', 'Connect to nothing: print each command that would run, per host, as [host] line')
    .addOption(new Option('--format <format>', 'Output format: text, or json (one event per line)').choices(FORMATS))
    .option('--lock-wait', "When another deploy holds the deploy lock, wait for it to be released instead of failing at once (not for a lock taken by hand); --lock-wait SECONDS also sets the wait")
    .option('--lock-wait-timeout <seconds>', `With --lock-wait: the longest wait for the deploy lock, in seconds (default ${LOCK_WAIT_DEFAULTS.timeoutSeconds})`)
    .option('--lock-wait-interval <seconds>', `With --lock-wait: seconds between tries of the deploy lock (default ${LOCK_WAIT_DEFAULTS.intervalSeconds})`);
  if (options.outputAlias !== false) command.addOption(new Option('--output <format>', 'Same as --format').choices(FORMATS).hideHelp());
  return command;
}

// Kamal 2.12's defaults (lib/kamal/cli/base.rb).
export const LOCK_WAIT_DEFAULTS: LockWait = { timeoutSeconds: 900, intervalSeconds: 15 };

function seconds(flag: string, given: string | undefined, fallback: number, minimum: number): number {
  if (given === undefined) return fallback;
  const value = Number(given);
  if (given.trim() === '' || !Number.isFinite(value) || value < minimum) {
    throw new UserError(`${flag}: expected a number of seconds ${minimum > 0 ? '>' : '≥'} 0, got ${JSON.stringify(given)}`);
  }
  return value;
}

/** What --lock-wait and its two companions ask for; checked even when --lock-wait is absent. */
export function lockWaitFrom(options: ServerCommandOptions): LockWait | undefined {
  const timeoutSeconds = seconds('--lock-wait-timeout', options.lockWaitTimeout, LOCK_WAIT_DEFAULTS.timeoutSeconds, 0);
  const intervalSeconds = seconds('--lock-wait-interval', options.lockWaitInterval, LOCK_WAIT_DEFAULTS.intervalSeconds, Number.MIN_VALUE);
  return options.lockWait ? { timeoutSeconds, intervalSeconds } : undefined;
}

/** The event format asked for: --format, else the old --output spelling, else text. */
export function outputFormat(options: ServerCommandOptions): OutputFormat {
  return options.format ?? (options.output === 'json' ? 'json' : 'text');
}

export interface SessionOptions {
  // KAMAL_COMMAND for hooks (deploy, app, lock, …).
  kamalCommand: string;
  lockMessage?: string;
  // Dry runs: containers that exist before the run, by host.
  existingContainers?: (project: Project) => (host: string) => string[];
  // Version override (rollback VERSION).
  version?: string;
  // A resumed run: its id, and the global options it was started with (instead of this command's).
  runId?: string;
  globals?: GlobalOptions;
  // `app exec --raw` (Kamal 2.12): stdout carries only the command's output; progress goes quietly to stderr.
  rawOutput?: boolean;
}

// Loads and checks everything a server command needs before any server is touched, opens the
// session (real or recording), attaches the renderer, runs `body` and closes the session.
export async function withSession<T>(
  command: Command,
  io: CliIO,
  options: ServerCommandOptions & SessionOptions,
  body: (session: Session, project: Project) => Promise<T>,
): Promise<T> {
  const globals = options.globals ?? globalOptions(command);
  const project = loadProject(globals, io);
  const selection = selectHosts(project.config, { hosts: globals.hosts, roles: globals.roles, primary: globals.primary });
  const loaded = await project.secrets();
  // A dry run only shows the plan: an undefined secret is a warning there, an error otherwise.
  if (!options.dryRun) checkSecretReferences(project.config, loaded);
  const secrets = options.dryRun ? allowUndefinedSecrets(project.config, loaded, (line) => io.err(line)) : loaded;
  const declared = options.version;
  const version = () => declared ?? project.version();
  const lockVersion = () => (declared ? configuredVersionOr(project, declared) : project.version());
  const session = openSession({
    config: project.config,
    selection,
    secrets,
    version,
    lockVersion,
    command: options.kamalCommand,
    cwd: io.cwd,
    env: io.env,
    skipHooks: Boolean(globals.skipHooks),
    dryRun: Boolean(options.dryRun),
    onDryRunLine: (line) => io.out(line),
    existingContainers: options.existingContainers?.(project),
    lockMessage: options.lockMessage,
    lockWait: lockWaitFrom(options),
    runId: options.runId,
  });
  const detach = options.dryRun || options.rawOutput
    ? attachPlainRenderer(session.bus, (line) => io.err(line), { quiet: true })
    : outputFormat(options) === 'json'
      ? attachJsonRenderer(session.bus, (line) => io.out(line))
      : io.isTTY && canShowLiveView(process.stdout) && !io.env.CI && !globals.verbose // -v wants every command's output: plain lines
        ? // The live view's libraries (log-update and its width tables) load only for a terminal.
          (await import('./render/tty.ts')).attachTtyRenderer(session.bus, process.stdout)
        : attachPlainRenderer(session.bus, (line) => io.out(line), { verbose: globals.verbose, quiet: globals.quiet });
  try {
    return await body(session, project);
  } catch (error) {
    // Whatever went wrong, no secret value reaches the terminal.
    const message = secrets.redact(error instanceof Error ? error.message : String(error));
    // User errors and classified remote failures print without a stack; a bug keeps its stack.
    if (error instanceof UserError || (error as { kind?: string })?.kind) throw new UserError(message);
    throw Object.assign(new Error(message), { stack: secrets.redact((error as Error)?.stack ?? message) });
  } finally {
    detach();
    await session.close();
  }
}

function configuredVersionOr(project: Project, fallback: string): string {
  try {
    return project.version();
  } catch {
    return fallback;
  }
}
