// Accessory commands (lib/kamal/commands/accessory.rb, accessory/proxy.rb, configuration/accessory.rb):
// the `docker run` of an accessory in Kamal's exact argument order, its start/stop/info/logs/exec,
// the directories and files prepared before a boot, removal, and the kamal-proxy deploy of an
// accessory with a `proxy:` (its own proxy settings, not merged with the root ones).

import type { AccessoryConfig, Config, LoggingConfig } from '../config/types.ts';
import {
  argumentize,
  argv,
  bare,
  docker,
  dquote,
  optionize,
  pipe,
  raw,
  redirect,
  shellCode,
  squote,
  word,
  type Command,
  type Word,
} from './command.ts';
import { deployCommandArgs, proxyExec } from './proxy.ts';

const RUN_DIRECTORY_PREFIX = '$PWD/';

type AccessoryRunConfig = Pick<Config, 'logging'>;

// ---------------------------------------------------------------------------------------------
// Argument groups

/** `--log-driver "x"` and `--log-opt k="v"` pairs, or the default `--log-opt max-size="10m"`. */
export function loggingArgs(logging: LoggingConfig): Word[] {
  return [
    ...(logging.driver !== undefined && logging.driver !== '' ? optionize([['log-driver', logging.driver]]) : []),
    ...argumentize('--log-opt', logging.options),
  ];
}

function networkArgs(accessory: AccessoryConfig): Word[] {
  return argumentize('--network', accessory.network);
}

function publishArgs(accessory: AccessoryConfig): Word[] {
  return accessory.port === undefined ? [] : argumentize('--publish', accessory.port);
}

function envArgs(accessory: AccessoryConfig): Word[] {
  return [...argumentize('--env', accessory.env.clear), ...argumentize('--env-file', accessory.envFilePath)];
}

/** A path Kamal sends unquoted; a leading `$PWD/` stays for the remote shell to expand. */
function remotePath(path: string): Word {
  return path.startsWith(RUN_DIRECTORY_PREFIX) ? word(raw(RUN_DIRECTORY_PREFIX), bare(path.slice(RUN_DIRECTORY_PREFIX.length))) : word(bare(path));
}

function volumeArgs(accessory: AccessoryConfig): Word[] {
  return accessory.volumes.flatMap((volume) => [word('--volume'), remotePath(volume)]);
}

function labelArgs(accessory: AccessoryConfig): Word[] {
  return argumentize('--label', accessory.labels);
}

function optionArgs(accessory: AccessoryConfig): Word[] {
  return optionize(accessory.options);
}

function serviceFilter(accessory: AccessoryConfig): Word[] {
  return argumentize('--filter', `label=service=${accessory.serviceName}`);
}

// ---------------------------------------------------------------------------------------------
// Container lifecycle

/**
 * `docker run --name <svc> --detach --restart unless-stopped --network <n> <logging> --publish <p>
 * <clear env> --env-file <file> <volumes> <labels> <options> <image> <cmd>`
 */
export function runAccessory(config: AccessoryRunConfig, accessory: AccessoryConfig): Command {
  return docker(
    'run',
    '--name',
    accessory.serviceName,
    '--detach',
    '--restart',
    'unless-stopped',
    ...networkArgs(accessory),
    ...loggingArgs(config.logging),
    ...publishArgs(accessory),
    ...envArgs(accessory),
    ...volumeArgs(accessory),
    ...labelArgs(accessory),
    ...optionArgs(accessory),
    accessory.image,
    accessory.cmd !== undefined ? shellCode(accessory.cmd) : null,
  );
}

/** `docker container start <svc>` */
export function startAccessory(accessory: AccessoryConfig): Command {
  return docker('container', 'start', accessory.serviceName);
}

/** `docker container stop <svc>` (errors ignored by the caller). */
export function stopAccessory(accessory: AccessoryConfig): Command {
  return docker('container', 'stop', accessory.serviceName);
}

/**
 * `docker ps [-a] [-q] --filter label=service=<svc>`: `details` uses no flags; the boot's
 * "already exists?" check uses `{ all: true, quiet: true }` (any output means skip that host).
 */
export function accessoryInfo(accessory: AccessoryConfig, options: { readonly all?: boolean; readonly quiet?: boolean } = {}): Command {
  return docker('ps', options.all ? '-a' : null, options.quiet ? '-q' : null, ...serviceFilter(accessory));
}

/** `docker ps -a -q --filter label=service=<svc>`: prints something when the container exists. */
export function accessoryExists(accessory: AccessoryConfig): Command {
  return accessoryInfo(accessory, { all: true, quiet: true });
}

export type AccessoryLogsOptions = {
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number;
  readonly grep?: string;
  readonly grepOptions?: string;
};

/**
 * `docker logs <svc>  --since <s>  --tail <n> --timestamps 2>&1 | grep '<g>' <opts>`. Kamal writes
 * since/tail as one token with a leading space, hence the double spaces. `kamal accessory logs`
 * asks for 100 lines unless since or grep is given.
 */
export function accessoryLogs(accessory: AccessoryConfig, options: AccessoryLogsOptions = {}): Command {
  const { timestamps = true, since, lines, grep, grepOptions } = options;
  const logs = redirect(
    docker(
      'logs',
      accessory.serviceName,
      since !== undefined ? word(raw(' --since '), bare(since)) : null,
      lines !== undefined ? word(raw(' --tail '), bare(lines)) : null,
      timestamps ? '--timestamps' : null,
    ),
    '2>&1',
  );
  return pipe(logs, grep !== undefined ? argv('grep', squote(grep), grepOptions ? shellCode(grepOptions) : null) : null);
}

/** `docker logs <svc> --timestamps --tail 10 --follow 2>&1 | grep "<g>" <opts>`: run in an interactive SSH session. */
export function followAccessoryLogs(accessory: AccessoryConfig, options: Omit<AccessoryLogsOptions, 'since' | 'lines'> = {}): Command {
  const { timestamps = true, grep, grepOptions } = options;
  const logs = redirect(docker('logs', accessory.serviceName, timestamps ? '--timestamps' : null, '--tail', '10', '--follow'), '2>&1');
  return pipe(logs, grep !== undefined ? argv('grep', dquote(grep), grepOptions ? shellCode(grepOptions) : null) : null);
}

/** `docker exec [-it] <svc> <cmd>` (`accessory exec --reuse`); the command is the operator's text. */
export function execInAccessoryContainer(accessory: AccessoryConfig, command: string, options: { readonly interactive?: boolean } = {}): Command {
  return docker('exec', options.interactive ? '-it' : null, accessory.serviceName, shellCode(command));
}

/** `docker run [-it] --rm --network <n> <env> <volumes> <image> <cmd>` (`accessory exec`). */
export function execInNewAccessoryContainer(accessory: AccessoryConfig, command: string, options: { readonly interactive?: boolean } = {}): Command {
  return docker(
    'run',
    options.interactive ? '-it' : null,
    '--rm',
    ...networkArgs(accessory),
    ...envArgs(accessory),
    ...volumeArgs(accessory),
    accessory.image,
    shellCode(command),
  );
}

// ---------------------------------------------------------------------------------------------
// Preparing the host

/** `mkdir -p $PWD/<svc>/<dir>` for each directory (absolute ones as written), before the boot. */
export function ensureAccessoryDirectories(accessory: AccessoryConfig): Command[] {
  return accessory.directories.map((directory) => argv('mkdir', '-p', remotePath(directory.hostPath)));
}

/** Ruby Pathname#dirname for the relative and absolute paths accessories use. */
function dirname(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const slash = trimmed.lastIndexOf('/');
  if (slash === -1) return '.';
  if (slash === 0) return '/';
  return trimmed.slice(0, slash).replace(/\/+$/, '') || '/';
}

export type AccessoryFileSteps = {
  /** Path on the operator's machine, as written in the config. */
  readonly local: string;
  /** Upload target, relative to the SSH user's home: `<svc>/<path>`. */
  readonly remote: string;
  /** `mkdir -p <dirname of remote>`, before the upload. */
  readonly makeDirectory: Command;
  /** `chmod 755 <remote>`, after the upload. */
  readonly chmod: Command;
};

/** For each `files:` entry: mkdir, (upload), chmod 755 — Kamal's `accessory upload`. */
export function accessoryFileSteps(accessory: AccessoryConfig): AccessoryFileSteps[] {
  return accessory.files.map((file) => ({
    local: file.local,
    remote: file.remote,
    makeDirectory: argv('mkdir', '-p', dirname(file.remote)),
    chmod: argv('chmod', '755', file.remote),
  }));
}

/** `.kamal/apps/<svc[-dest]>/env/accessories` */
export function accessoryEnvDirectory(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): string {
  return `${config.runDirectory}/apps/${config.serviceAndDestination}/env/accessories`;
}

/** `mkdir -p .kamal/apps/<svc[-dest]>/env/accessories`, before the env file upload. */
export function ensureAccessoryEnvDirectory(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): Command {
  return argv('mkdir', '-p', accessoryEnvDirectory(config));
}

// ---------------------------------------------------------------------------------------------
// Removal

/** `docker container prune --force --filter label=service=<svc>` */
export function removeAccessoryContainer(accessory: AccessoryConfig): Command {
  return docker('container', 'prune', '--force', ...serviceFilter(accessory));
}

/** Same as removeAccessoryContainer: Kamal's reboot "prunes" the stopped accessory container. */
export const pruneAccessoryContainer = removeAccessoryContainer;

/** `docker image rm --force <image>` */
export function removeAccessoryImage(accessory: AccessoryConfig): Command {
  return docker('image', 'rm', '--force', accessory.image);
}

/** `rm -rf <svc>`: the uploaded files and relative data directories. */
export function removeAccessoryServiceDirectory(accessory: AccessoryConfig): Command {
  return argv('rm', '-rf', accessory.serviceName);
}

// ---------------------------------------------------------------------------------------------
// kamal-proxy

/** `docker container ls --filter name=^<svc>$ --quiet`: the running container's id, for the proxy target. */
export function accessoryContainerId(accessory: AccessoryConfig): Command {
  return docker('container', 'ls', '--filter', word('name=^', accessory.serviceName, raw('$')), '--quiet');
}

export type AccessoryProxyDeployInput = {
  readonly config: Config;
  readonly accessory: AccessoryConfig;
  /** The container id printed by accessoryContainerId. */
  readonly target: string;
  /** The app version (Kamal's `config.version`), used for `--error-pages` when `error_pages_path` is set. */
  readonly version: string;
};

/**
 * `docker exec kamal-proxy kamal-proxy deploy <svc> --target="<id>:<port>" …` with the accessory's
 * own proxy hash and the root deploy/drain timeouts (the options are built by proxy.ts).
 */
export function deployAccessoryToProxy({ config, accessory, target, version }: AccessoryProxyDeployInput): Command {
  if (!accessory.proxy) throw new Error(`accessory ${accessory.name} has no proxy settings`);
  return proxyExec('deploy', accessory.serviceName, ...deployCommandArgs({ config, proxy: accessory.proxy, target, version }));
}

/** `docker exec kamal-proxy kamal-proxy remove <svc>` (stop of an accessory with a proxy). */
export function removeAccessoryFromProxy(accessory: AccessoryConfig): Command {
  return proxyExec('remove', accessory.serviceName);
}

/** The registry an accessory logs in to: its own, else the root one. */
export function accessoryRegistry(config: Pick<Config, 'registry'>, accessory: AccessoryConfig): Config['registry'] {
  return accessory.registry ?? config.registry;
}
