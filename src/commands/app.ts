// The app's containers on one host (Kamal's commands/app.rb and app/{containers,execution,images,
// logging,proxy}.rb). Builders take the resolved config, the role and whatever Kamal takes from its
// runtime state: the version, the host's env, a random hostname suffix, a captured container id.
// Assets and error pages live in app-assets.ts and error-pages.ts.

import type { Config, ResolvedEnv, RoleConfig } from '../config/types.ts';
import {
  argumentize,
  argv,
  bare,
  docker,
  optionize,
  pipe,
  raw,
  redirect,
  seq,
  shell,
  shellCode,
  subst,
  toWord,
  value,
  word,
  xargs,
  type Attributes,
  type Command,
  type Word,
} from './command.ts';
import { assetVolumeArgs } from './app-assets.ts';
import { runOverSsh } from './docker.ts';
import { deployCommandArgs, grepCommand, proxyAppDirectory, proxyExec, stopCommandArgs } from './proxy.ts';

export const DOCKER_HEALTH_STATUS_FORMAT = "'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'";
export const DOCKER_HEALTH_LOG_FORMAT = "'{{json .State.Health}}'";
const ACTIVE_STATUSES = ['running', 'restarting'] as const;

// ---------------------------------------------------------------------------------------------
// Names

/** `<service>-<role>[-<destination>]-<version>` */
export function appContainerName(role: RoleConfig, version: string): string {
  return `${role.containerPrefix}-${version}`;
}

/** `[registry/]image:<version>` */
export function appImage(config: Config, version: string): string {
  return `${config.repository}:${version}`;
}

/** `[registry/]image:latest[-<destination>]` */
export function latestImage(config: Config): string {
  return `${config.repository}:${config.latestTag}`;
}

/** The container hostname: the host cut to 51 characters, one trailing `.` dropped, then `-<12 hex>`. */
export function appHostname(host: string, randomHex: string): string {
  const cut = host.slice(0, 51);
  return `${cut.endsWith('.') ? cut.slice(0, -1) : cut}-${randomHex}`;
}

/** The version a clashing container is renamed to: `<version>_replaced_<16 hex>`. */
export function replacedVersion(version: string, randomHex: string): string {
  return `${version}_replaced_${randomHex}`;
}

/** `.kamal/apps/<service>[-<dest>]` */
export function appDirectory(config: Config): string {
  return `${config.runDirectory}/apps/${config.serviceAndDestination}`;
}

/** `.kamal/apps/<service>[-<dest>]/env/roles`: the directory of the role env files. */
export function roleEnvDirectory(config: Config): string {
  return `${appDirectory(config)}/env/roles`;
}

// ---------------------------------------------------------------------------------------------
// Argument groups

/** `--filter label=service=<s> --filter label=destination=<d> [--filter label=role=<r>] [--filter status=…]` */
export function containerFilterArgs(config: Config, role?: RoleConfig, statuses: readonly string[] = []): Word[] {
  const filters = [`label=service=${config.service}`, `label=destination=${config.destination ?? ''}`];
  if (role) filters.push(`label=role=${role.name}`);
  for (const status of statuses) filters.push(`status=${status}`);
  return argumentize('--filter', filters);
}

/** Clear env as `--env KEY="value"`, then `--env-file <role env file>` (Kamal's env_args). */
export function envArgs(role: RoleConfig, env: ResolvedEnv): Word[] {
  return [...argumentize('--env', env.clear), ...argumentize('--env-file', role.envFilePath)];
}

/** `--log-driver "x" --log-opt k="v"…`, or the default `--log-opt max-size="10m"` (already in the config). */
export function loggingArgs(role: RoleConfig): Word[] {
  const { driver, options } = role.logging;
  return [...(driver !== undefined ? optionize({ 'log-driver': driver }) : []), ...argumentize('--log-opt', options)];
}

/** Root `volumes:` as `--volume a:b`. */
export function volumeArgs(config: Config): Word[] {
  return argumentize('--volume', config.volumes);
}

/** `--label service="…" --label role="…" --label destination[="…"]`, then root and role labels. */
export function labelArgs(role: RoleConfig): Word[] {
  return argumentize('--label', role.labels);
}

/** The role's `options:` as `--name "value"` / `--name`. */
export function optionArgs(role: RoleConfig): Word[] {
  return optionize(role.options);
}

/** `-t <drain_timeout>` for roles without the proxy; nothing for proxy roles (kamal-proxy drains). */
export function stopArgs(role: RoleConfig): Word[] {
  return argumentize('-t', role.stopTimeout ?? null);
}

// ---------------------------------------------------------------------------------------------
// Run, start, stop

export interface AppRunInput {
  readonly config: Config;
  readonly role: RoleConfig;
  /** The role's env on this host (`envFor(config, role.name, host)`); only the clear values are used here. */
  readonly env: ResolvedEnv;
  readonly version: string;
  /** `appHostname(host, randomHex)`; left out when not given. */
  readonly hostname?: string;
  /** The server, for `KAMAL_HOST` when `x-sextant/host_env` is on. */
  readonly host?: string;
}

/**
 * `-e KAMAL_CONTAINER_NAME="…" -e KAMAL_VERSION="…"` (Kamal 2.6.0). With `x-sextant/host_env`,
 * Kamal 2.10's form: `--env` for each, plus `KAMAL_HOST` and, with a destination, `KAMAL_DESTINATION`.
 */
function kamalEnvArgs(config: Config, name: string, version: string, host: string | undefined): Word[] {
  const pairs: Array<[string, string]> = [['KAMAL_CONTAINER_NAME', name], ['KAMAL_VERSION', version]];
  if (config.sextant.hostEnv) {
    if (host === undefined) throw new Error('appRun: x-sextant/host_env needs the host');
    pairs.push(['KAMAL_HOST', host]);
    if (config.destination !== undefined) pairs.push(['KAMAL_DESTINATION', config.destination]);
  }
  const flag = config.sextant.hostEnv ? '--env' : '-e';
  return pairs.flatMap(([key, text]) => [toWord(flag), word(`${key}=`, value(text))]);
}

/** `docker run --detach --restart unless-stopped --name <c> --network kamal [--hostname h] -e … <env> <logging> <volumes> <labels> <options> <image> [cmd]` */
export function appRun(input: AppRunInput): Command {
  const { config, role, env, version, hostname, host } = input;
  const name = appContainerName(role, version);
  return docker('run', '--detach', '--restart', 'unless-stopped', '--name', name, '--network', 'kamal',
    hostname !== undefined && ['--hostname', hostname],
    kamalEnvArgs(config, name, version, host),
    envArgs(role, env),
    loggingArgs(role),
    volumeArgs(config),
    assetVolumeArgs(config, role, version),
    labelArgs(role),
    optionArgs(role),
    appImage(config, version),
    role.cmd !== undefined && shellCode(role.cmd));
}

/** `docker inspect --format '{{.Config.Hostname}}' <prefix>-<version>` */
export function containerHostname(role: RoleConfig, version: string): Command {
  return docker('inspect', '--format', '{{.Config.Hostname}}', appContainerName(role, version));
}

/** `docker start <prefix>-<version>` */
export function appStart(_config: Config, role: RoleConfig, version: string): Command {
  return docker('start', appContainerName(role, version));
}

/**
 * Stops the container of `version`, or the current running container when no version is given:
 * `… | xargs docker stop [-t <drain_timeout>]`.
 */
export function appStop(config: Config, role: RoleConfig, version?: string): Command {
  const container = version !== undefined ? containerIdForVersion(config, role, version) : currentRunningContainerId(config, role);
  return pipe(container, xargs(docker('stop', ...stopArgs(role))));
}

/** `docker container ls --all --filter name=^<prefix>-<version>$ --quiet` (without `--all` for only running). */
export function containerIdForVersion(_config: Config, role: RoleConfig, version: string, options: { readonly onlyRunning?: boolean } = {}): Command {
  return containerIdFor(appContainerName(role, version), options);
}

/** `docker container ls [--all] --filter name=^<name>$ --quiet` (Kamal's container_id_for). */
export function containerIdFor(name: string, options: { readonly onlyRunning?: boolean } = {}): Command {
  return docker('container', 'ls', !options.onlyRunning && '--all', '--filter', word('name=^', bare(name), raw('$')), '--quiet');
}

/** Health of a version: `… --quiet | xargs docker inspect --format '<health or state>'` (`healthy`, `running`, …). */
export function appStatus(config: Config, role: RoleConfig, version: string): Command {
  return pipe(containerIdForVersion(config, role, version), xargs(docker('inspect', '--format', raw(DOCKER_HEALTH_STATUS_FORMAT))));
}

/** `docker ps <filters>`: `kamal app details`. */
export function appDetails(config: Config, role: RoleConfig): Command {
  return docker('ps', ...containerFilterArgs(config, role));
}

/** `mkdir -p .kamal/apps/<service>[-<dest>]/env/roles`, before the env file upload. */
export function ensureEnvDirectory(config: Config): Command {
  return argv('mkdir', '-p', roleEnvDirectory(config));
}

// ---------------------------------------------------------------------------------------------
// Which version runs (KAMAL-FACTS §1.7)

function latestImageId(config: Config): Command {
  return docker('image', 'ls', ...argumentize('--filter', `reference=${latestImage(config)}`), '--format', raw("'{{.ID}}'"));
}

function currentRunningContainer(config: Config, role: RoleConfig, format: Word[]): Command {
  const filters = containerFilterArgs(config, role, ACTIVE_STATUSES);
  const fromLatestImage = docker('ps', '--latest', ...format, ...filters, '--filter', word('ancestor=', subst(latestImageId(config))));
  const latest = docker('ps', '--latest', ...format, ...filters);
  return pipe(shell(seq(fromLatestImage, latest)), argv('head', '-1'));
}

/** `while read line; do echo ${line#<prefix>-}; done`: container names to versions. */
function extractVersionFromName(role: RoleConfig): Command {
  return argv(raw('while'), 'read', raw('line;'), raw('do'), 'echo', word(raw('${line#'), bare(`${role.containerPrefix}-`), raw('};')),
    raw('done'));
}

/** Id of the running container: the newest from the `latest` image, else the newest at all. */
export function currentRunningContainerId(config: Config, role: RoleConfig): Command {
  return currentRunningContainer(config, role, [word('--quiet')]);
}

/** The running version: the same pick as currentRunningContainerId, printed as a version. */
export function currentRunningVersion(config: Config, role: RoleConfig): Command {
  return pipe(currentRunningContainer(config, role, [word('--format'), word(raw("'{{.Names}}'"))]), extractVersionFromName(role));
}

/**
 * Versions of the role's containers, one a line (running ones by default; stale-container
 * detection): `docker ps <filters> [args] --format "{{.Names}}" | while read line; …`
 */
export function listVersions(config: Config, role: RoleConfig, options: { readonly dockerArgs?: readonly string[]; readonly statuses?: readonly string[] } = {}): Command {
  return pipe(
    docker('ps', ...containerFilterArgs(config, role, options.statuses), ...(options.dockerArgs ?? []), '--format', raw('"{{.Names}}"')),
    extractVersionFromName(role),
  );
}

// ---------------------------------------------------------------------------------------------
// Containers and images

/** `docker container ls --all <filters>` (every role when no role is given). */
export function listContainers(config: Config, role?: RoleConfig): Command {
  return docker('container', 'ls', '--all', ...containerFilterArgs(config, role));
}

/** `listContainers` printing only the names. */
export function listContainerNames(config: Config, role?: RoleConfig): Command {
  return docker('container', 'ls', '--all', ...containerFilterArgs(config, role), '--format', raw("'{{ .Names }}'"));
}

/** `… --filter name=^<prefix>-<version>$ --quiet | xargs docker container rm` */
export function removeContainer(config: Config, role: RoleConfig, version: string): Command {
  return pipe(containerIdForVersion(config, role, version), xargs(docker('container', 'rm')));
}

/** `docker container prune --force <filters>`: every stopped container of the role. */
export function removeContainers(config: Config, role: RoleConfig): Command {
  return docker('container', 'prune', '--force', ...containerFilterArgs(config, role));
}

/** `docker rename <prefix>-<version> <prefix>-<newVersion>` */
export function renameContainer(_config: Config, role: RoleConfig, version: string, newVersion: string): Command {
  return docker('rename', appContainerName(role, version), appContainerName(role, newVersion));
}

/** `… --quiet | xargs docker inspect --format '{{json .State.Health}}'` */
export function containerHealthLog(config: Config, role: RoleConfig, version: string): Command {
  return pipe(containerIdForVersion(config, role, version), xargs(docker('inspect', '--format', raw(DOCKER_HEALTH_LOG_FORMAT))));
}

/** `docker image ls <repository>` */
export function listImages(config: Config): Command {
  return docker('image', 'ls', config.repository);
}

/** `docker image prune --all --force --filter label=service=<service>` */
export function removeImages(config: Config): Command {
  return docker('image', 'prune', '--all', '--force', ...argumentize('--filter', [`label=service=${config.service}`]));
}

/** `docker tag <repo>:<version> <repo>:latest[-<dest>]`, once the version booted everywhere. */
export function tagLatestImage(config: Config, version: string): Command {
  return docker('tag', appImage(config, version), latestImage(config));
}

/** `rm -r .kamal/apps/<service>[-<dest>]` (`kamal app remove`; errors ignored by callers). */
export function removeAppDirectory(config: Config): Command {
  return argv('rm', '-r', appDirectory(config));
}

/** `rm -r .kamal/proxy/apps-config/<service>[-<dest>]` (`kamal app remove`; errors ignored by callers). */
export function removeProxyAppDirectory(config: Config): Command {
  return argv('rm', '-r', proxyAppDirectory(config));
}

/** Both directories `kamal app remove` deletes, in its order. */
export function removeAppDirectories(config: Config): Command[] {
  return [removeAppDirectory(config), removeProxyAppDirectory(config)];
}

// ---------------------------------------------------------------------------------------------
// Logs

export interface AppLogsOptions {
  /**
   * Whose logs: a container id (`echo <id> | …`), a command printing ids, or (default) the
   * current running container.
   */
  readonly containerId?: string | Command;
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number | string;
  readonly grep?: string;
  /** Extra grep flags as the operator typed them (e.g. `-C 2`); sent as written. */
  readonly grepOptions?: string;
}

function containerIdCommand(config: Config, role: RoleConfig, containerId: string | Command | undefined): Command {
  if (containerId === undefined) return currentRunningContainerId(config, role);
  if (typeof containerId === 'string') return argv('echo', containerId);
  return containerId;
}

/**
 * `<ids> | xargs docker logs [--timestamps] [--since S] [--tail N] 2>&1 [| grep '…' opts]`.
 * With a container id string this sends `echo <id> | xargs docker logs …` as Kamal's command tests
 * expect; Kamal 2.6.0 itself sends only `echo <id>` there (SSHKit drops the arguments after a first
 * token holding a space), so its `app logs --container_id` prints the id and no logs.
 */
export function appLogs(config: Config, role: RoleConfig, options: AppLogsOptions = {}): Command {
  const { timestamps = true, since, lines, grep, grepOptions } = options;
  const logs = docker('logs', timestamps && '--timestamps', since !== undefined && ['--since', since], lines !== undefined && ['--tail', lines]);
  return pipe(
    containerIdCommand(config, role, options.containerId),
    redirect(xargs(logs), '2>&1'),
    grep !== undefined && grepCommand(grep, grepOptions, 'single'),
  );
}

/** `ssh … -t user@host -p port '<ids> | xargs docker logs [--timestamps] [--tail N] --follow 2>&1 [| grep "…"]'` (runs locally). */
export function followAppLogs(config: Config, role: RoleConfig, host: string, options: Omit<AppLogsOptions, 'since'> = {}): Command {
  const { timestamps = true, lines, grep, grepOptions } = options;
  const logs = docker('logs', timestamps && '--timestamps', lines !== undefined && ['--tail', lines], '--follow');
  return runOverSsh(config.ssh, host, pipe(
    containerIdCommand(config, role, options.containerId),
    redirect(xargs(logs), '2>&1'),
    grep !== undefined && grepCommand(grep, grepOptions, 'double'),
  ));
}

// ---------------------------------------------------------------------------------------------
// app exec

/** Extra env from `app exec -e KEY:value`, as pairs or a hash. */
export type ExecEnv = Attributes;

export interface ExecInput {
  readonly config: Config;
  readonly role: RoleConfig;
  readonly version: string;
  /** The operator's command, words already joined with spaces (sent as written). */
  readonly command: string;
  readonly env?: ExecEnv;
  /** `-it`, for the interactive forms run over ssh. */
  readonly interactive?: boolean;
}

/** `docker exec [-it] [--env K="v"…] <prefix>-<version> <command>` (`app exec --reuse`). */
export function execInExistingContainer(input: ExecInput): Command {
  const { role, version, command, env, interactive } = input;
  return docker('exec', interactive && '-it', ...argumentize('--env', env), appContainerName(role, version), shellCode(command));
}

export interface ExecNewInput extends ExecInput {
  /** The role's env on this host (`envFor`): clear values and the env file, as for `docker run`. */
  readonly hostEnv: ResolvedEnv;
  readonly detach?: boolean;
}

/** `docker run [-it] [--detach | --rm] --network kamal <env> [--env …] <logging> <volumes> <options> <image> <command>` */
export function execInNewContainer(input: ExecNewInput): Command {
  const { config, role, version, command, env, interactive, detach, hostEnv } = input;
  return docker('run', interactive && '-it', detach && '--detach', !detach && '--rm', '--network', 'kamal',
    envArgs(role, hostEnv), ...argumentize('--env', env), loggingArgs(role), volumeArgs(config), optionArgs(role),
    appImage(config, version), shellCode(command));
}

/** `app exec -i --reuse`: `ssh … -t user@host -p port 'docker exec -it … <command>'` (runs locally). */
export function execInExistingContainerOverSsh(input: Omit<ExecInput, 'interactive'> & { readonly host: string }): Command {
  return runOverSsh(input.config.ssh, input.host, execInExistingContainer({ ...input, interactive: true }));
}

/** `app exec -i`: `ssh … -t user@host -p port 'docker run -it --rm … <command>'` (runs locally). */
export function execInNewContainerOverSsh(input: Omit<ExecNewInput, 'interactive' | 'detach'> & { readonly host: string }): Command {
  return runOverSsh(input.config.ssh, input.host, execInNewContainer({ ...input, interactive: true }));
}

// ---------------------------------------------------------------------------------------------
// The app in kamal-proxy (commands/app/proxy.rb)

function proxyOf(role: RoleConfig) {
  if (!role.runsProxy || role.proxy === undefined) throw new Error(`role ${role.name} does not run the proxy`);
  return role.proxy;
}

/** `docker exec kamal-proxy kamal-proxy deploy <prefix> --target="<container id>:<port>" …` */
export function deployToProxy(input: { readonly config: Config; readonly role: RoleConfig; readonly version: string; readonly target: string }): Command {
  const { config, role, version, target } = input;
  return proxyExec('deploy', role.containerPrefix, deployCommandArgs({ config, proxy: proxyOf(role), target, version }));
}

/** `docker exec kamal-proxy kamal-proxy remove <prefix>` (`kamal app stop` on a proxy role). */
export function removeFromProxy(role: RoleConfig): Command {
  return proxyExec('remove', role.containerPrefix);
}

/** `docker exec kamal-proxy kamal-proxy stop <prefix> [--drain-timeout="<n>s"] [--message="…"]` */
export function maintenance(role: RoleConfig, options: { readonly drainTimeout?: number | string; readonly message?: string } = {}): Command {
  return proxyExec('stop', role.containerPrefix, stopCommandArgs(options));
}

/** `docker exec kamal-proxy kamal-proxy resume <prefix>` */
export function live(role: RoleConfig): Command {
  return proxyExec('resume', role.containerPrefix);
}

/** `mkdir -p <apps-config>/<service>[-<dest>]/tls/<role>`: where a role's custom certificate is written (Kamal 2.7). */
export function createTlsDirectory(role: RoleConfig): Command | undefined {
  const certificate = role.proxy?.customCertificate;
  if (!certificate) return undefined;
  return argv('mkdir', '-p', certificate.hostCertificate.slice(0, certificate.hostCertificate.lastIndexOf('/')));
}
