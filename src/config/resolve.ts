import { deepMerge, isHash } from './merge.ts';
import type { PlainHash } from './merge.ts';
import type { AccessorySection } from './schema/accessory.ts';
import type { EnvSection } from './schema/env.ts';
import type { LoggingSection } from './schema/logging.ts';
import { DEFAULT_LOG_REQUEST_HEADERS } from './schema/proxy.ts';
import type { ProxyRunSection, ProxySection } from './schema/proxy.ts';
import type { RegistrySection } from './schema/registry.ts';
import type { HostEntry, RoleHash } from './schema/role.ts';
import type { DeploySection } from './schema/root.ts';
import { SEXTANT_FLEET_DEFAULTS, SEXTANT_RETRY_DEFAULTS } from './schema/sextant.ts';
import type {
  AccessoryConfig,
  ArgumentValue,
  DeadlineSettings,
  Config,
  DockerOption,
  EnvBlock,
  FleetPolicy,
  LoggingConfig,
  ProxyConfig,
  ProxyRunConfig,
  RegistryConfig,
  RoleConfig,
} from './types.ts';

export interface ResolveContext {
  destination?: string | undefined;
  files: string[];
  cwd: string;
}

const RUN_DIRECTORY = '.kamal';

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Ruby `Hash#merge` on ordered pairs: a later key replaces the value in place. */
export function mergePairs<V>(...lists: Array<Array<[string, V]>>): Array<[string, V]> {
  const merged = new Map<string, V>();
  for (const list of lists) for (const [key, value] of list) merged.set(key, value);
  return [...merged];
}

function envBlock(env: EnvSection | undefined): EnvBlock {
  return { clear: Object.entries(env?.clear ?? {}), secret: [...(env?.secret ?? [])] };
}

function registry(section: RegistrySection): RegistryConfig {
  const out: RegistryConfig = {};
  if (section.username !== undefined) out.username = section.username;
  if (section.password !== undefined) out.password = section.password;
  if (section.server !== undefined) out.server = section.server;
  // The schema only lets both credentials be missing for a `localhost:` server.
  if (section.server !== undefined && section.username === undefined && section.password === undefined) {
    out.local = { port: Number(section.server.split(':').at(-1)) || 80 };
  }
  return out;
}

/** Kamal's `optionize`: lists repeat the option, `true` is a bare flag, `nil` an empty string. */
export function dockerOptions(options: Record<string, unknown> | undefined): DockerOption[] {
  const out: DockerOption[] = [];
  for (const [name, value] of Object.entries(options ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const entry of values) out.push([name, entry === true ? true : entry === null || entry === undefined ? '' : String(entry)]);
  }
  return out;
}

export function resolveLogging(section: LoggingSection | undefined): LoggingConfig {
  const driver = section?.driver;
  const options = Object.entries(section?.options ?? {});
  const out: LoggingConfig = { options };
  if (driver !== undefined && driver.trim() !== '') out.driver = driver;
  if (out.driver === undefined && options.length === 0) out.options = [['max-size', '10m']];
  return out;
}

const PROXY_APPS_DIRECTORY = `${RUN_DIRECTORY}/proxy/apps-config`;
const PROXY_APPS_CONTAINER_DIRECTORY = '/home/kamal-proxy/.apps-config';

/** Where a custom certificate lives (Kamal 2.7's tls_directory): `<apps dir>/<service[-dest]>/tls[/<role>]/<file>`. */
function tlsPaths(serviceAndDestination: string, roleName: string | undefined, file: string): [host: string, container: string] {
  const tail = ['tls', roleName, file].filter((part) => part !== undefined).join('/');
  return [`${PROXY_APPS_DIRECTORY}/${serviceAndDestination}/${tail}`, `${PROXY_APPS_CONTAINER_DIRECTORY}/${serviceAndDestination}/${tail}`];
}

function resolveProxyRun(run: ProxyRunSection): ProxyRunConfig {
  const image = `${[run.registry, run.repository ?? 'basecamp/kamal-proxy'].filter((part) => part !== undefined).join('/')}:${run.version ?? 'v0.9.0'}`;
  const out: ProxyRunConfig = {
    httpPort: run.http_port ?? 80,
    httpsPort: run.https_port ?? 443,
    debug: run.debug ?? false,
    logMaxSize: run.log_max_size ?? '10m',
    publish: run.publish ?? true,
    image,
    options: dockerOptions(run.options),
  };
  if (run.metrics_port !== undefined) out.metricsPort = run.metrics_port;
  if (run.bind_ips !== undefined) out.bindIps = run.bind_ips;
  return out;
}

/** `where` places a custom certificate's files: the role (absent for an accessory) and `<service>[-<dest>]`. */
export function resolveProxy(section: ProxySection | PlainHash, where?: { serviceAndDestination: string; roleName?: string }): ProxyConfig {
  const proxy = section as ProxySection;
  const hosts = proxy.hosts ?? (proxy.host !== undefined ? proxy.host.split(',') : []);
  const ssl = proxy.ssl;
  const out: ProxyConfig = {
    hosts,
    appPort: proxy.app_port ?? 80,
    ssl: ssl !== undefined && ssl !== false,
    pathPrefixes: proxy.path_prefixes ?? (proxy.path_prefix !== undefined ? proxy.path_prefix.split(',') : []),
    healthcheck: {},
    buffering: { requests: proxy.buffering?.requests ?? true, responses: proxy.buffering?.responses ?? true },
    logging: { requestHeaders: proxy.logging?.request_headers ?? [...DEFAULT_LOG_REQUEST_HEADERS] },
  };
  if (proxy.ssl_redirect !== undefined) out.sslRedirect = proxy.ssl_redirect;
  if (proxy.forward_headers !== undefined) out.forwardHeaders = proxy.forward_headers;
  if (proxy.response_timeout !== undefined) out.responseTimeout = proxy.response_timeout;
  const health = proxy.healthcheck;
  if (health?.interval !== undefined) out.healthcheck.interval = health.interval;
  if (health?.timeout !== undefined) out.healthcheck.timeout = health.timeout;
  if (health?.path !== undefined) out.healthcheck.path = health.path;
  const buffering = proxy.buffering;
  if (buffering?.memory !== undefined) out.buffering.memory = buffering.memory;
  if (buffering?.max_request_body !== undefined) out.buffering.maxRequestBody = buffering.max_request_body;
  if (buffering?.max_response_body !== undefined) out.buffering.maxResponseBody = buffering.max_response_body;
  if (proxy.logging?.response_headers !== undefined) out.logging.responseHeaders = proxy.logging.response_headers;
  if (proxy.strip_path_prefix !== undefined) out.stripPathPrefix = proxy.strip_path_prefix;
  if (proxy.run !== undefined) out.run = resolveProxyRun(proxy.run);
  if (typeof ssl === 'object' && ssl.certificate_pem && ssl.private_key_pem && where) {
    const [hostCertificate, containerCertificate] = tlsPaths(where.serviceAndDestination, where.roleName, 'cert.pem');
    const [hostPrivateKey, containerPrivateKey] = tlsPaths(where.serviceAndDestination, where.roleName, 'key.pem');
    out.customCertificate = {
      certificateSecret: ssl.certificate_pem,
      privateKeySecret: ssl.private_key_pem,
      hostCertificate,
      hostPrivateKey,
      containerCertificate,
      containerPrivateKey,
    };
  }
  return out;
}

function hostName(entry: HostEntry): { host: string; tags: string[] } | undefined {
  if (typeof entry === 'string' || typeof entry === 'number') return { host: String(entry), tags: [] };
  const [first] = Object.entries(entry);
  if (!first) return undefined;
  const [host, tags] = first;
  return { host, tags: Array.isArray(tags) ? tags : [tags] };
}

/** Kamal's `tagged_hosts`: host → tags, first position kept, later duplicates replace the tags. */
export function taggedHosts(entries: HostEntry[]): Map<string, string[]> {
  const tagged = new Map<string, string[]>();
  for (const entry of entries) {
    const parsed = hostName(entry);
    if (parsed) tagged.set(parsed.host, parsed.tags);
  }
  return tagged;
}

function roleNames(servers: DeploySection['servers']): string[] {
  if (servers === undefined) return [];
  if (Array.isArray(servers)) return ['web'];
  return Object.keys(servers).sort();
}

function roleDefinition(servers: DeploySection['servers'], name: string): { entries: HostEntry[]; settings: RoleHash } {
  if (servers === undefined) return { entries: [], settings: {} };
  if (Array.isArray(servers)) return { entries: servers, settings: {} };
  const role = servers[name];
  if (Array.isArray(role)) return { entries: role, settings: {} };
  return { entries: role?.hosts ?? [], settings: role ?? {} };
}

function appDirectory(serviceAndDestination: string): string {
  return `${RUN_DIRECTORY}/apps/${serviceAndDestination}`;
}

function resolveRole(parsed: DeploySection, name: string, primaryRoleName: string, ctx: ResolveContext, serviceAndDestination: string): RoleConfig {
  const { entries, settings } = roleDefinition(parsed.servers, name);
  const tagged = taggedHosts(entries);
  const primary = name === primaryRoleName;
  const proxySetting = settings.proxy;
  const runsProxy = primary ? proxySetting !== false : proxySetting !== undefined && proxySetting !== false;
  const labels = mergePairs<ArgumentValue>(
    [
      ['service', parsed.service],
      ['role', name],
      ['destination', ctx.destination ?? null],
    ],
    Object.entries(parsed.labels ?? {}),
    Object.entries(settings.labels ?? {}),
  );
  const logging = resolveLogging(deepMerge((parsed.logging ?? {}) as PlainHash, (settings.logging ?? {}) as PlainHash) as LoggingSection);
  const role: RoleConfig = {
    name,
    primary,
    hosts: [...tagged.keys()],
    hostTags: Object.fromEntries(tagged),
    options: dockerOptions(settings.options),
    labels,
    logging,
    env: envBlock(settings.env),
    runsProxy,
    ssl: false,
    assets: false,
    containerPrefix: [parsed.service, name, ctx.destination].filter((part) => part !== undefined).join('-'),
    envFilePath: `${appDirectory(serviceAndDestination)}/env/roles/${name}.env`,
  };
  if (settings.cmd !== undefined) role.cmd = settings.cmd;
  if (runsProxy) {
    const own = isHash(proxySetting) ? (proxySetting as PlainHash) : {};
    role.proxy = resolveProxy(deepMerge((parsed.proxy ?? {}) as PlainHash, own), { serviceAndDestination, roleName: name });
    role.ssl = role.proxy.ssl;
  }
  const stopTimeout = settings.stop_timeout ?? parsed.stop_timeout ?? (runsProxy ? undefined : (parsed.drain_timeout ?? 30));
  if (stopTimeout !== undefined) role.stopTimeout = stopTimeout;
  const assetPath = settings.asset_path ?? parsed.asset_path;
  if (assetPath !== undefined) role.assetPath = assetPath;
  role.assets = assetPath !== undefined && assetPath !== '' && runsProxy;
  return role;
}

/** Kamal's tag scan for accessories: only roles written as plain host lists are searched. */
function hostsWithTag(servers: DeploySection['servers'], tag: string): string[] {
  if (servers === undefined || Array.isArray(servers)) return [];
  const hosts: string[] = [];
  for (const role of Object.values(servers)) {
    if (!Array.isArray(role)) continue;
    for (const entry of role) {
      if (typeof entry !== 'object') continue;
      const [first] = Object.entries(entry);
      if (!first) continue;
      const [host, tags] = first;
      // Kamal calls `include?` on the value: a list checks membership, a single string checks for a substring.
      if (Array.isArray(tags) ? tags.includes(tag) : tags.includes(tag)) hosts.push(host);
    }
  }
  return hosts;
}

export function accessoryHosts(accessory: AccessorySection, parsed: DeploySection, roles: RoleConfig[]): string[] {
  const roleHosts = (name: string) => roles.find((role) => role.name === name)?.hosts ?? [];
  let hosts: string[];
  if (accessory.host !== undefined) hosts = [accessory.host];
  else if (accessory.hosts !== undefined) hosts = accessory.hosts;
  else if (accessory.role !== undefined) hosts = roleHosts(accessory.role);
  else if (accessory.roles !== undefined) hosts = accessory.roles.flatMap(roleHosts);
  else if (accessory.tag !== undefined) hosts = hostsWithTag(parsed.servers, accessory.tag);
  else if (accessory.tags !== undefined) hosts = accessory.tags.flatMap((tag) => hostsWithTag(parsed.servers, tag));
  else hosts = [];
  // Kamal intersects with the selected hosts (`&`) before use, which also drops repeats.
  return unique(hosts);
}

function splitMapping(mapping: string): [string, string] {
  const [first = '', second = ''] = mapping.split(':');
  return [first, second];
}

function resolveAccessory(
  name: string,
  accessory: AccessorySection,
  parsed: DeploySection,
  roles: RoleConfig[],
  serviceAndDestination: string,
): AccessoryConfig {
  const serviceName = accessory.service ?? `${parsed.service}-${name}`;
  const dataDirectory = `$PWD/${serviceName}`;
  const ownRegistry = accessory.registry ? registry(accessory.registry) : undefined;
  const files = (accessory.files ?? []).map((mapping) => {
    const [local, remote] = splitMapping(mapping);
    return { local, remote: serviceName + remote, containerPath: remote };
  });
  const directories = (accessory.directories ?? []).map((mapping) => {
    const [hostPath, containerPath] = splitMapping(mapping);
    return { hostPath: hostPath.startsWith('/') ? hostPath : `${dataDirectory}/${hostPath}`, containerPath };
  });
  let port = accessory.port;
  if (port !== undefined && !port.includes(':')) port = `${port}:${port}`;
  const out: AccessoryConfig = {
    name,
    serviceName,
    image: [ownRegistry?.server, accessory.image].filter((part) => part !== undefined).join('/'),
    hosts: accessoryHosts(accessory, parsed, roles),
    env: envBlock(accessory.env),
    files,
    directories,
    volumes: [
      ...(accessory.volumes ?? []),
      ...files.map((file) => `${dataDirectory}${file.containerPath}:${file.containerPath}`),
      ...directories.map((directory) => `${directory.hostPath}:${directory.containerPath}`),
    ],
    labels: mergePairs<ArgumentValue>([['service', serviceName]], Object.entries(accessory.labels ?? {})),
    options: dockerOptions(accessory.options),
    network: accessory.network ?? 'kamal',
    runsProxy: accessory.proxy !== undefined,
    envFilePath: `${appDirectory(serviceAndDestination)}/env/accessories/${name}.env`,
  };
  if (ownRegistry) out.registry = ownRegistry;
  if (port !== undefined) out.port = port;
  if (accessory.cmd !== undefined) out.cmd = accessory.cmd;
  if (accessory.proxy !== undefined) out.proxy = resolveProxy(accessory.proxy, { serviceAndDestination });
  return out;
}

/** The watchdog's deadlines: the configured ones, or defaults derived from the deploy's own timeouts. */
export function resolveDeadlines(parsed: DeploySection): DeadlineSettings {
  const given = parsed['x-sextant']?.deadlines ?? {};
  const deployTimeout = parsed.deploy_timeout ?? 30;
  const drainTimeout = parsed.drain_timeout ?? 30;
  return {
    command: given.command ?? Math.max(30, deployTimeout),
    pull: given.pull ?? Math.max(120, 10 * deployTimeout),
    proxyDeploy: given.proxy_deploy ?? deployTimeout + drainTimeout + 15,
    stop: given.stop ?? Math.max(drainTimeout, ...stopTimeouts(parsed)) + 15,
    build: given.build ?? 3600,
    hook: given.hook ?? 600,
    local: given.local ?? Math.max(30, deployTimeout),
  };
}

/** Every `stop_timeout` written (root and roles): a stop may take the longest of them. */
function stopTimeouts(parsed: DeploySection): number[] {
  const roles = parsed.servers === undefined || Array.isArray(parsed.servers) ? [] : Object.values(parsed.servers);
  const own = roles.map((role) => (Array.isArray(role) ? undefined : role?.stop_timeout));
  return [parsed.stop_timeout, ...own].filter((value): value is number => value !== undefined);
}

function resolveFleet(parsed: DeploySection): FleetPolicy {
  const fleet = parsed['x-sextant']?.fleet ?? {};
  const max = fleet.max_failures ?? SEXTANT_FLEET_DEFAULTS.maxFailures;
  return {
    maxFailures: typeof max === 'number' ? { count: max } : { percent: Number(max.slice(0, -1)) / 100 },
    onFailure: fleet.on_failure ?? SEXTANT_FLEET_DEFAULTS.onFailure,
  };
}

/** Builds the resolved Config from a validated deploy.yml (plus destination file). */
export function resolveConfig(parsed: DeploySection, ctx: ResolveContext): Config {
  const destination = ctx.destination;
  const serviceAndDestination = [parsed.service, destination].filter((part) => part !== undefined).join('-');
  const primaryRoleName = parsed.primary_role ?? 'web';
  const alphabetical = roleNames(parsed.servers).map((name) => resolveRole(parsed, name, primaryRoleName, ctx, serviceAndDestination));
  const primaryRole = alphabetical.find((role) => role.primary);
  const roles = primaryRole ? [primaryRole, ...alphabetical.filter((role) => role !== primaryRole)] : alphabetical;
  const accessories = Object.entries(parsed.accessories ?? {}).map(([name, accessory]) =>
    resolveAccessory(name, accessory, parsed, alphabetical, serviceAndDestination),
  );
  const rootRegistry = registry(parsed.registry);
  const builder = parsed.builder;
  const ssh = parsed.ssh ?? {};
  const retry = parsed['x-sextant']?.retry;

  const config: Config = {
    files: ctx.files,
    cwd: ctx.cwd,
    service: parsed.service,
    serviceAndDestination,
    image: parsed.image,
    repository: [rootRegistry.server, parsed.image].filter((part) => part !== undefined).join('/'),
    latestTag: ['latest', destination].filter((part) => part !== undefined).join('-'),
    registry: rootRegistry,
    roles,
    allHosts: unique([...alphabetical.flatMap((role) => role.hosts), ...accessories.flatMap((accessory) => accessory.hosts)]),
    appHosts: unique(alphabetical.flatMap((role) => role.hosts)),
    proxyHosts: unique([
      ...alphabetical.filter((role) => role.runsProxy).flatMap((role) => role.hosts),
      ...accessories.filter((accessory) => accessory.runsProxy).flatMap((accessory) => accessory.hosts),
    ]),
    accessories,
    env: {
      ...envBlock(parsed.env),
      tags: Object.entries(parsed.env?.tags ?? {}).map(([name, tag]) => ({ name, ...envBlock(tag) })),
    },
    labels: Object.entries(parsed.labels ?? {}),
    volumes: parsed.volumes ?? [],
    logging: resolveLogging(parsed.logging),
    proxy: resolveProxy(parsed.proxy ?? {}),
    hooksPath: parsed.hooks_path ?? '.kamal/hooks',
    secretsPath: parsed.secrets_path ?? '.kamal/secrets',
    boot: { parallelRoles: parsed.boot?.parallel_roles ?? false },
    builder: {
      arches: builder.arch ?? [],
      local: builder.local !== false,
      driver: builder.driver ?? 'docker-container',
      args: Object.entries(builder.args ?? {}),
      secrets: builder.secrets ?? [],
      dockerfile: builder.dockerfile ?? 'Dockerfile',
    },
    ssh: {
      user: ssh.user ?? 'root',
      port: ssh.port ?? 22,
      logLevel: ssh.log_level ?? 'fatal',
      keepaliveInterval: 30,
    },
    sshkit: {
      maxConcurrentStarts: parsed.sshkit?.max_concurrent_starts ?? 30,
      poolIdleTimeout: parsed.sshkit?.pool_idle_timeout ?? 900,
    },
    aliases: { ...(parsed.aliases ?? {}) },
    requireDestination: parsed.require_destination ?? false,
    allowEmptyRoles: parsed.allow_empty_roles ?? false,
    deployTimeout: parsed.deploy_timeout ?? 30,
    drainTimeout: parsed.drain_timeout ?? 30,
    readinessDelay: parsed.readiness_delay ?? 7,
    retainContainers: parsed.retain_containers ?? 5,
    runDirectory: RUN_DIRECTORY,
    sextant: {
      retry: {
        attempts: retry?.attempts ?? SEXTANT_RETRY_DEFAULTS.attempts,
        baseDelay: retry?.base_delay ?? SEXTANT_RETRY_DEFAULTS.baseDelay,
        maxDelay: retry?.max_delay ?? SEXTANT_RETRY_DEFAULTS.maxDelay,
        downAfter: retry?.down_after ?? SEXTANT_RETRY_DEFAULTS.downAfter,
      },
      deadlines: resolveDeadlines(parsed),
      fleet: resolveFleet(parsed),
      hostEnv: parsed['x-sextant']?.host_env ?? false,
    },
  };
  if (destination !== undefined) config.destination = destination;
  if (primaryRole) {
    config.primaryRole = primaryRole.name;
    const host = primaryRole.hosts[0];
    if (host !== undefined) config.primaryHost = host;
  }
  if (parsed.asset_path !== undefined) config.assetPath = parsed.asset_path;
  if (parsed.error_pages_path !== undefined) config.errorPagesPath = parsed.error_pages_path;
  if (parsed.boot?.limit !== undefined) config.boot.limit = parsed.boot.limit;
  if (parsed.boot?.wait !== undefined) config.boot.wait = parsed.boot.wait;
  if (parsed.minimum_version !== undefined) config.minimumVersion = parsed.minimum_version;
  if (builder.remote !== undefined) config.builder.remote = builder.remote;
  if (builder.cache !== undefined) {
    const cache: NonNullable<Config['builder']['cache']> = { type: builder.cache.type ?? '' };
    if (builder.cache.options !== undefined) cache.options = builder.cache.options;
    if (builder.cache.image !== undefined) cache.image = builder.cache.image;
    config.builder.cache = cache;
  }
  if (builder.target !== undefined) config.builder.target = builder.target;
  if (builder.context !== undefined) config.builder.context = builder.context;
  if (builder.ssh !== undefined) config.builder.ssh = builder.ssh;
  if (builder.provenance !== undefined) config.builder.provenance = builder.provenance;
  if (builder.sbom !== undefined) config.builder.sbom = builder.sbom;
  if (rootRegistry.local) config.builder.localRegistry = true;
  if (ssh.proxy !== undefined) config.ssh.proxy = ssh.proxy.includes('@') ? ssh.proxy : `root@${ssh.proxy}`;
  if (ssh.proxy_command !== undefined) config.ssh.proxyCommand = ssh.proxy_command;
  if (ssh.keys_only !== undefined) config.ssh.keysOnly = ssh.keys_only;
  if (ssh.keys !== undefined) config.ssh.keys = ssh.keys;
  if (ssh.key_data !== undefined) config.ssh.keyData = ssh.key_data;
  if (ssh.config !== undefined) config.ssh.config = ssh.config;
  if (ssh.forward_agent !== undefined) config.ssh.forwardAgent = ssh.forward_agent;
  return config;
}
