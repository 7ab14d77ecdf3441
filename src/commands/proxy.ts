// kamal-proxy on the servers: Kamal's commands/proxy.rb, the boot settings of
// configuration/proxy/boot.rb, the kamal-proxy `deploy`/`stop` arguments of configuration/proxy.rb
// (shared by app and accessory proxies), and the file logic of `kamal proxy boot_config`.

import type { Config, ProxyConfig, ProxyRunConfig, SshConfig } from '../config/types.ts';
import { UserError } from '../errors.ts';
import {
  and,
  argv,
  docker,
  dquote,
  optionize,
  or,
  pipe,
  raw,
  redirect,
  seq,
  shellCode,
  squote,
  subst,
  toWord,
  word,
  xargs,
  type Command,
  type OptionValue,
  type Word,
  type WordInput,
} from './command.ts';
import { runOverSsh } from './docker.ts';
import { escapeShellValue } from './shell.ts';

export const PROXY_CONTAINER = 'kamal-proxy';
/** The oldest kamal-proxy Kamal 2.6.0 accepts, and the image tag it runs by default. */
export const MINIMUM_PROXY_VERSION = 'v0.9.0';
export const DEFAULT_HTTP_PORT = 80;
export const DEFAULT_HTTPS_PORT = 443;
export const DEFAULT_LOG_MAX_SIZE = '10m';
export const DEFAULT_PROXY_REPOSITORY = 'basecamp';
export const PROXY_IMAGE_NAME = 'kamal-proxy';
export const DEFAULT_PROXY_IMAGE = `${DEFAULT_PROXY_REPOSITORY}/${PROXY_IMAGE_NAME}`;
export const DEFAULT_LOG_REQUEST_HEADERS: readonly string[] = ['Cache-Control', 'Last-Modified', 'User-Agent'];

export const PROXY_DIRECTORY = '.kamal/proxy';
export const PROXY_OPTIONS_FILE = `${PROXY_DIRECTORY}/options`;
export const PROXY_IMAGE_FILE = `${PROXY_DIRECTORY}/image`;
export const PROXY_IMAGE_VERSION_FILE = `${PROXY_DIRECTORY}/image_version`;
export const PROXY_RUN_COMMAND_FILE = `${PROXY_DIRECTORY}/run_command`;
export const PROXY_APPS_DIRECTORY = `${PROXY_DIRECTORY}/apps-config`;
export const PROXY_APPS_CONTAINER_DIRECTORY = '/home/kamal-proxy/.apps-config';

const PROXY_IMAGE_TITLE_FILTER = 'label=org.opencontainers.image.title=kamal-proxy';

// ---------------------------------------------------------------------------------------------
// Per-app paths inside the shared proxy directory

/** `.kamal/proxy/apps-config/<service>[-<dest>]` */
export function proxyAppDirectory(config: Config): string {
  return `${PROXY_APPS_DIRECTORY}/${config.serviceAndDestination}`;
}

/** `/home/kamal-proxy/.apps-config/<service>[-<dest>]` */
export function proxyAppContainerDirectory(config: Config): string {
  return `${PROXY_APPS_CONTAINER_DIRECTORY}/${config.serviceAndDestination}`;
}

// ---------------------------------------------------------------------------------------------
// kamal-proxy commands run inside its container

/** `docker exec kamal-proxy kamal-proxy <words…>` */
export function proxyExec(...words: Array<WordInput | readonly WordInput[]>): Command {
  return docker('exec', PROXY_CONTAINER, 'kamal-proxy', ...words);
}

/** `docker exec kamal-proxy kamal-proxy list`: services with their hosts, targets and state. */
export function proxyList(): Command {
  return proxyExec('list');
}

/** The target (`<container id>:<port>`) kamal-proxy's `list` shows for a service, if any. */
export function proxyTargetOf(listing: string, service: string): string | undefined {
  for (const line of listing.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[0] === service) return columns.find((c) => /^[0-9a-f]{6,}:\d+$/.test(c));
  }
  return undefined;
}

/** `<seconds>s`, Kamal's seconds_duration. */
function seconds(value: number | string | undefined): string | undefined {
  return value === undefined ? undefined : `${value}s`;
}

/**
 * The options after the service name in `kamal-proxy deploy` (configuration/proxy.rb
 * deploy_command_args): `--target="<target>:<app_port>"`, then every set option in Kamal's order,
 * all written `--name="value"` (a bare `--name` for true). `version` decides the `--error-pages`
 * directory, sent when the config has `error_pages_path`.
 */
export function deployCommandArgs(options: {
  readonly config: Config;
  readonly proxy: ProxyConfig;
  readonly target: string;
  readonly version: string;
}): Word[] {
  const { config, proxy, target, version } = options;
  const entries: Array<readonly [string, OptionValue | undefined]> = [
    ['target', `${target}:${proxy.appPort}`],
    ['host', proxy.hosts],
    ['tls', proxy.ssl ? true : undefined],
    ['tls-certificate-path', proxy.customCertificate?.containerCertificate],
    ['tls-private-key-path', proxy.customCertificate?.containerPrivateKey],
    ['deploy-timeout', seconds(config.deployTimeout)],
    ['drain-timeout', seconds(config.drainTimeout)],
    ['health-check-interval', seconds(proxy.healthcheck.interval)],
    ['health-check-timeout', seconds(proxy.healthcheck.timeout)],
    ['health-check-path', proxy.healthcheck.path],
    ['target-timeout', seconds(proxy.responseTimeout)],
    ['buffer-requests', proxy.buffering.requests],
    ['buffer-responses', proxy.buffering.responses],
    ['buffer-memory', proxy.buffering.memory],
    ['max-request-body', proxy.buffering.maxRequestBody],
    ['max-response-body', proxy.buffering.maxResponseBody],
    ['path-prefix', proxy.pathPrefixes.length > 0 ? proxy.pathPrefixes : undefined],
    ['strip-path-prefix', proxy.stripPathPrefix],
    ['forward-headers', proxy.forwardHeaders],
    ['tls-redirect', proxy.sslRedirect],
    ['log-request-header', proxy.logging.requestHeaders],
    ['log-response-header', proxy.logging.responseHeaders],
    ['error-pages', config.errorPagesPath !== undefined ? `${proxyAppContainerDirectory(config)}/error_pages/${version}` : undefined],
  ];
  return optionize(entries.filter((entry): entry is readonly [string, OptionValue] => entry[1] !== undefined), { with: '=' });
}

/** The options of `kamal-proxy stop`: `--drain-timeout="<n>s"` and `--message="…"` when given. */
export function stopCommandArgs(options: { readonly drainTimeout?: number | string; readonly message?: string } = {}): Word[] {
  const entries: Array<readonly [string, OptionValue | undefined]> = [
    ['drain-timeout', seconds(options.drainTimeout)],
    ['message', options.message],
  ];
  return optionize(entries.filter((entry): entry is readonly [string, OptionValue] => entry[1] !== undefined), { with: '=' });
}

// ---------------------------------------------------------------------------------------------
// The proxy container

/** `docker container start kamal-proxy` */
export function startProxy(): Command {
  return docker('container', 'start', PROXY_CONTAINER);
}

/** `docker container stop kamal-proxy` (errors ignored by callers). */
export function stopProxy(name: string = PROXY_CONTAINER): Command {
  return docker('container', 'stop', name);
}

/**
 * `echo $(read options) $(read image):$(read image_version) $(read run_command) | xargs docker run …`,
 * or with `proxy/run` (Kamal 2.10) one `docker run` with those settings.
 */
export function runProxy(run?: ProxyRunConfig): Command {
  return run ? proxyDockerRunFrom(run) : pipe(bootConfig(), xargs(proxyDockerRun()));
}

/** `docker container start kamal-proxy || <runProxy>`: `kamal proxy boot` and deploy step 18. */
export function startOrRunProxy(run?: ProxyRunConfig): Command {
  return or(startProxy(), runProxy(run));
}

/**
 * Kamal 2.10's `docker run` from `proxy/run`: the two volumes, `--publish` per bind address (unless
 * publish is false), the log size, `--expose=<metrics port>`, the options, the image and
 * `kamal-proxy run [--debug] [--metrics-port "<port>"]`.
 */
function proxyDockerRunFrom(run: ProxyRunConfig): Command {
  const runCommand: Word[] = [toWord('kamal-proxy'), toWord('run')];
  if (run.debug) runCommand.push(toWord('--debug'));
  if (run.metricsPort !== undefined) runCommand.push(...optionize([['metrics-port', run.metricsPort]]));
  return docker('run', '--name', PROXY_CONTAINER, '--network', 'kamal', '--detach', '--restart', 'unless-stopped',
    '--volume', 'kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy',
    '--volume', word(raw('$PWD/'), `${PROXY_APPS_DIRECTORY}:${PROXY_APPS_CONTAINER_DIRECTORY}`),
    run.publish && raw(publishArgs(run.httpPort, run.httpsPort, run.bindIps)),
    logMaxSizeArgs(run.logMaxSize),
    run.metricsPort !== undefined && `--expose=${run.metricsPort}`,
    optionize(run.options),
    run.image,
    runCommand);
}

function proxyDockerRun(): Command {
  return docker('run', '--name', PROXY_CONTAINER, '--network', 'kamal', '--detach', '--restart', 'unless-stopped',
    '--volume', 'kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy',
    '--volume', word(raw('$(pwd)/'), `${PROXY_APPS_DIRECTORY}:${PROXY_APPS_CONTAINER_DIRECTORY}`));
}

/** `docker ps --filter name=^kamal-proxy$` */
export function proxyDetails(): Command {
  return docker('ps', '--filter', word(`name=^${PROXY_CONTAINER}`, raw('$')));
}

/** Prints the running proxy's image tag, e.g. `v0.9.0` (nothing when there is no proxy container). */
export function proxyVersionProbe(): Command {
  return pipe(docker('inspect', PROXY_CONTAINER, raw("--format '{{.Config.Image}}'")), argv('awk', '-F:', raw("'{print $NF}'")));
}

export type ProxyLogsOptions = {
  readonly timestamps?: boolean;
  readonly since?: string;
  readonly lines?: number | string;
  readonly grep?: string;
  /** Extra grep flags as the operator typed them (e.g. `-C 2`); sent as written. */
  readonly grepOptions?: string;
};

/** `docker logs kamal-proxy [--since S] [--tail N] [--timestamps] 2>&1 [| grep '…' opts]` */
export function proxyLogs(options: ProxyLogsOptions = {}): Command {
  const { timestamps = true, since, lines, grep, grepOptions } = options;
  const logs = docker('logs', PROXY_CONTAINER,
    since !== undefined && ['--since', since], lines !== undefined && ['--tail', lines], timestamps && '--timestamps');
  return pipe(redirect(logs, '2>&1'), grep !== undefined && grepCommand(grep, grepOptions, 'single'));
}

/** `ssh … -t user@host -p port 'docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1 [| grep "…"]'` */
export function followProxyLogs(ssh: SshConfig, host: string, options: Omit<ProxyLogsOptions, 'since' | 'lines'> = {}): Command {
  const { timestamps = true, grep, grepOptions } = options;
  const logs = docker('logs', PROXY_CONTAINER, timestamps && '--timestamps', '--tail', '10', '--follow');
  return runOverSsh(ssh, host, pipe(redirect(logs, '2>&1'), grep !== undefined && grepCommand(grep, grepOptions, 'double')));
}

/** `grep '<pattern>' [options]` (Kamal quotes the pattern with `'…'`, or `"…"` in the follow forms). */
export function grepCommand(pattern: string, grepOptions: string | undefined, quotes: 'single' | 'double'): Command {
  const quotedPattern = quotes === 'single' ? squote(pattern) : dquote(pattern);
  return argv('grep', quotedPattern, grepOptions !== undefined && grepOptions !== '' && shellCode(grepOptions));
}

/** `docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy` */
export function removeProxyContainer(): Command {
  return docker('container', 'prune', '--force', '--filter', PROXY_IMAGE_TITLE_FILTER);
}

/** `docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy` */
export function removeProxyImage(): Command {
  return docker('image', 'prune', '--all', '--force', '--filter', PROXY_IMAGE_TITLE_FILTER);
}

/** Stops and removes a Kamal 1 Traefik container and image (`kamal proxy upgrade`). */
export function cleanupTraefik(): Command {
  const title = 'label=org.opencontainers.image.title=Traefik';
  return seq(
    docker('container', 'stop', 'traefik'),
    and(docker('container', 'prune', '--force', '--filter', title), docker('image', 'prune', '--all', '--force', '--filter', title)),
  );
}

/** `mkdir -p .kamal/proxy` */
export function ensureProxyDirectory(): Command {
  return argv('mkdir', '-p', PROXY_DIRECTORY);
}

/** `rm -r .kamal/proxy` */
export function removeProxyDirectory(): Command {
  return argv('rm', '-r', PROXY_DIRECTORY);
}

/** `mkdir -p .kamal/proxy/apps-config` */
export function ensureAppsConfigDirectory(): Command {
  return argv('mkdir', '-p', PROXY_APPS_DIRECTORY);
}

// ---------------------------------------------------------------------------------------------
// Boot config: the four files under .kamal/proxy

/** `--publish 80:80 --publish 443:443 --log-opt max-size=10m`: the options used when no file is written. */
export const DEFAULT_BOOT_OPTIONS = defaultBootOptionTokens().join(' ');

function defaultBootOptionTokens(): string[] {
  return [publishArgs(DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, undefined), ...logMaxSizeArgs(DEFAULT_LOG_MAX_SIZE)];
}

function readFile(file: string, fallback: string): Command {
  return or(redirect(argv('cat', file), '2>', '/dev/null'), argv('echo', dquote(fallback)));
}

/** `cat .kamal/proxy/options 2> /dev/null || echo "<default options>"` */
export function readBootOptions(): Command {
  return readFile(PROXY_OPTIONS_FILE, DEFAULT_BOOT_OPTIONS);
}

/** `cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"` */
export function readProxyImage(): Command {
  return readFile(PROXY_IMAGE_FILE, DEFAULT_PROXY_IMAGE);
}

/** `cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0"` */
export function readProxyImageVersion(): Command {
  return readFile(PROXY_IMAGE_VERSION_FILE, MINIMUM_PROXY_VERSION);
}

/** `cat .kamal/proxy/run_command 2> /dev/null || echo ""` */
export function readProxyRunCommand(): Command {
  return readFile(PROXY_RUN_COMMAND_FILE, '');
}

/** `echo $(options) $(image):$(image_version) $(run_command)`: what `boot_config get` prints per host. */
export function bootConfig(): Command {
  return argv('echo', word(
    subst(readBootOptions()), raw(' '), subst(readProxyImage()), raw(':'), subst(readProxyImageVersion()), raw(' '),
    subst(readProxyRunCommand()),
  ));
}

/** `bootConfig()` under the name `kamal proxy boot_config get` uses. */
export const bootConfigGet = bootConfig;

/** `rm <file>` for each of the four boot files (`boot_config reset`; errors ignored by callers). */
export function bootConfigReset(): Command[] {
  return BOOT_FILES.map((file) => removeFile(file));
}

export const BOOT_FILES: readonly string[] = [PROXY_OPTIONS_FILE, PROXY_IMAGE_FILE, PROXY_IMAGE_VERSION_FILE, PROXY_RUN_COMMAND_FILE];

function removeFile(file: string): Command {
  return argv('rm', file);
}

/** The `kamal proxy boot_config set` options (Thor defaults apply to anything left out). */
export interface BootConfigOptions {
  /** Default true; false leaves out every `--publish`. */
  readonly publish?: boolean;
  /** One publish pair per address; IPv6 gets brackets. Default: all interfaces. */
  readonly publishHostIps?: readonly string[];
  readonly httpPort?: number;
  readonly httpsPort?: number;
  /** Default `10m`; blank leaves out the `--log-opt`. */
  readonly logMaxSize?: string;
  readonly metricsPort?: number;
  /** Each `a=b` becomes `--a=b`. */
  readonly dockerOptions?: readonly string[];
  readonly registry?: string;
  /** Default `basecamp`. */
  readonly repository?: string;
  readonly imageVersion?: string;
  readonly debug?: boolean;
}

/** What to do with one boot file: upload `content` (no trailing newline) or run `command` (rm). */
export type BootConfigFileAction =
  | { readonly kind: 'write'; readonly path: string; readonly content: string }
  | { readonly kind: 'remove'; readonly path: string; readonly command: Command };

/**
 * `boot_config set`: for each of options, image, image_version and run_command (in that order)
 * whether to write it or remove it. Throws a UserError for an invalid publish IP address.
 */
export function bootConfigFiles(options: BootConfigOptions = {}): BootConfigFileAction[] {
  const publish = options.publish ?? true;
  const logMaxSize = options.logMaxSize ?? DEFAULT_LOG_MAX_SIZE;
  const tokens = [
    ...(publish
      ? [publishArgs(options.httpPort ?? DEFAULT_HTTP_PORT, options.httpsPort ?? DEFAULT_HTTPS_PORT, options.publishHostIps)]
      : []),
    ...logMaxSizeArgs(logMaxSize),
    ...(options.metricsPort !== undefined ? [`--expose=${options.metricsPort}`] : []),
    ...(options.dockerOptions ?? []).map((option) => `--${option}`),
  ];
  const defaults = defaultBootOptionTokens();
  const isDefault = tokens.length === defaults.length && tokens.every((token, index) => token === defaults[index]);

  const image = [presence(options.registry), presence(options.repository) ?? DEFAULT_PROXY_REPOSITORY, PROXY_IMAGE_NAME]
    .filter((part): part is string => part !== undefined)
    .join('/');

  const runOptions: string[] = [];
  if (options.debug) runOptions.push('--debug');
  if (options.metricsPort !== undefined) runOptions.push('--metrics-port', escapeShellValue(String(options.metricsPort)));
  const runCommand = runOptions.length > 0 ? `kamal-proxy run ${runOptions.join(' ')}` : undefined;

  const action = (path: string, content: string | undefined): BootConfigFileAction =>
    content === undefined ? { kind: 'remove', path, command: removeFile(path) } : { kind: 'write', path, content };
  return [
    action(PROXY_OPTIONS_FILE, isDefault ? undefined : tokens.join(' ')),
    action(PROXY_IMAGE_FILE, image === DEFAULT_PROXY_IMAGE ? undefined : image),
    action(PROXY_IMAGE_VERSION_FILE, options.imageVersion),
    action(PROXY_RUN_COMMAND_FILE, runCommand),
  ];
}

/** Ruby's `presence` for an option string: undefined when blank. */
function presence(text: string | undefined): string | undefined {
  return text === undefined || /^\s*$/.test(text) ? undefined : text;
}

/** `--publish [ip:]http:80 --publish [ip:]https:443` for each address (one string, as Kamal joins it). */
function publishArgs(httpPort: number, httpsPort: number, bindIps: readonly string[] | undefined): string {
  const ips = bindIps !== undefined && bindIps.length > 0 ? bindIps : [undefined];
  for (const ip of ips) {
    if (ip !== undefined && !isIPv4(ip) && !isIPv6(ip)) throw new UserError(`Invalid publish IP address: ${ip}`);
  }
  return ips
    .flatMap((ip) => {
      const prefix = ip === undefined ? '' : `${isIPv6(ip) && !/^\[.*\]$/.test(ip) ? `[${ip}]` : ip}:`;
      return ['--publish', `${prefix}${httpPort}:${DEFAULT_HTTP_PORT}`, '--publish', `${prefix}${httpsPort}:${DEFAULT_HTTPS_PORT}`];
    })
    .join(' ');
}

function logMaxSizeArgs(maxSize: string): string[] {
  return presence(maxSize) === undefined ? [] : ['--log-opt', `max-size=${maxSize}`];
}

// Ruby's Resolv::IPv4::Regex and Resolv::IPv6::Regex, which decide what Kamal accepts.
const OCTET = '(?:0|1(?:[0-9][0-9]?)?|2(?:[0-4][0-9]?|5[0-5]?|[6-9])?|[3-9][0-9]?)';
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const HEX = '[0-9A-Fa-f]{1,4}';
const HEX_LIST = `(?:${HEX}(?::${HEX})*)?`;
const ZONE = '%[-0-9A-Za-z._~]+';
const IPV6_FORMS = [
  `(?:${HEX}:){7}${HEX}`,
  `${HEX_LIST}::${HEX_LIST}`,
  `(?:${HEX}:){6}\\d+\\.\\d+\\.\\d+\\.\\d+`,
  `${HEX_LIST}::(?:${HEX}:)*\\d+\\.\\d+\\.\\d+\\.\\d+`,
  `[Ff][Ee]80(?::${HEX}){7}${ZONE}`,
  `[Ff][Ee]80:(?:${HEX_LIST}::${HEX_LIST}|:${HEX_LIST})?:${HEX}${ZONE}`,
];
const IPV6 = new RegExp(`^(?:${IPV6_FORMS.join('|')})$`);

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function isIPv6(text: string): boolean {
  return IPV6.test(text);
}
