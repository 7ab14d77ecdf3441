// The resolved configuration: plain data (JSON-serializable), everything the command builders,
// machines and CLI need, computed the way Kamal 2.6.0 computes it.

import type { BootLimit } from './schema/boot.ts';

export type { BootLimit };

/** A registry user name or password: written in the config, or the name of a secret to look up. */
export type Credential = { value: string } | { secret: string };

/**
 * A value Kamal passes through `argumentize` (`--env`, `--label`, `--log-opt`, `--build-arg`):
 * a string gives `key="value"` (an empty string gives a bare `key`), `false` gives `key=false`,
 * `null` gives a bare `key`.
 */
export type ArgumentValue = string | false | null;

/** One `docker run` option from `options:` in order: `--name "value"`, or a bare `--name` for `true`. */
export type DockerOption = [name: string, value: string | true];

export interface RegistryConfig {
  /** Registry host; absent means Docker Hub. */
  server?: string;
  /** Absent only for a local registry without a login. */
  username?: Credential;
  password?: Credential;
  /**
   * Kamal 2.8's local registry: `server: localhost:<port>` with no username/password. The registry
   * runs on the deployer's docker and servers reach it through an SSH reverse tunnel.
   */
  local?: { port: number };
}

export interface LoggingConfig {
  driver?: string;
  /** `--log-opt` pairs; `[['max-size', '10m']]` when neither driver nor options are configured. */
  options: Array<[string, ArgumentValue]>;
}

/** `proxy/run` (Kamal 2.10): how the kamal-proxy container is run. */
export interface ProxyRunConfig {
  httpPort: number;
  httpsPort: number;
  metricsPort?: number;
  debug: boolean;
  logMaxSize: string;
  publish: boolean;
  bindIps?: string[];
  /** `[registry/]repository:version` */
  image: string;
  options: DockerOption[];
}

export interface ProxyConfig {
  /** `hosts`, or `host` split on commas; empty means the app answers for any host. */
  hosts: string[];
  appPort: number;
  /** `ssl: true` or an `ssl:` hash. */
  ssl: boolean;
  /**
   * `ssl: {certificate_pem, private_key_pem}` (Kamal 2.7): the secret names, and where the files go
   * on the host and where kamal-proxy reads them (`…/tls[/<role>]/cert.pem`, `key.pem`).
   */
  customCertificate?: {
    certificateSecret: string;
    privateKeySecret: string;
    hostCertificate: string;
    hostPrivateKey: string;
    containerCertificate: string;
    containerPrivateKey: string;
  };
  /** `path_prefixes`, or `path_prefix` split on commas (Kamal 2.7). */
  pathPrefixes: string[];
  stripPathPrefix?: boolean;
  run?: ProxyRunConfig;
  sslRedirect?: boolean;
  forwardHeaders?: boolean;
  /** Seconds. */
  responseTimeout?: number;
  healthcheck: { interval?: number; timeout?: number; path?: string };
  buffering: { requests: boolean; responses: boolean; memory?: number; maxRequestBody?: number; maxResponseBody?: number };
  logging: { requestHeaders: string[]; responseHeaders?: string[] };
}

/** An env block as written: clear pairs in order and `NAME` / `NAME:SECRET` secret entries. */
export interface EnvBlock {
  clear: Array<[string, string | false]>;
  secret: string[];
}

export interface EnvTag extends EnvBlock {
  name: string;
}

/** The env one container gets: clear values for the command line, secrets for the env file. */
export interface ResolvedEnv {
  clear: Array<[string, string | false]>;
  /** `[environment variable name, secret name]`, in env-file order. */
  secrets: Array<[string, string]>;
}

export interface RoleConfig {
  name: string;
  primary: boolean;
  /** Hosts in the order written, each once. */
  hosts: string[];
  /** Tags of each host (a later duplicate entry of the same host replaces its tags, as in Kamal). */
  hostTags: Record<string, string[]>;
  cmd?: string;
  options: DockerOption[];
  /** `service`, `role`, `destination` (null without a destination), then root and role labels. */
  labels: Array<[string, ArgumentValue]>;
  logging: LoggingConfig;
  /** The role's own env (merged over the root env by `envFor`). */
  env: EnvBlock;
  runsProxy: boolean;
  /** Root proxy deep-merged with the role's proxy hash; present when `runsProxy`. */
  proxy?: ProxyConfig;
  ssl: boolean;
  assetPath?: string;
  /** Asset bridging is on: an asset path is set and the role runs the proxy. */
  assets: boolean;
  /** `<service>-<role>[-<destination>]`: container name prefix and kamal-proxy service name. */
  containerPrefix: string;
  /** `.kamal/apps/<service>[-<dest>]/env/roles/<role>.env` */
  envFilePath: string;
  /** `docker stop -t` seconds: `stop_timeout` (role, then root; Kamal 2.12), else the drain timeout for roles without the proxy, none with it. */
  stopTimeout?: number;
}

export interface AccessoryFile {
  /** As written (relative to the working directory). */
  local: string;
  /** `<accessory service>/<remote>`, relative to the SSH user's home. */
  remote: string;
  /** Path inside the container. */
  containerPath: string;
}

export interface AccessoryDirectory {
  /** `$PWD/<accessory service>/<dir>` for relative paths, else as written. */
  hostPath: string;
  containerPath: string;
}

export interface AccessoryConfig {
  name: string;
  /** Container name and `service` label: `service:` or `<service>-<name>`. */
  serviceName: string;
  /** Image including the accessory registry server, if it has its own registry. */
  image: string;
  registry?: RegistryConfig;
  hosts: string[];
  /** `host:container` form (`"3306"` becomes `3306:3306`). */
  port?: string;
  cmd?: string;
  env: EnvBlock;
  files: AccessoryFile[];
  directories: AccessoryDirectory[];
  /** Every `--volume`, in Kamal's order: `volumes:`, then files, then directories. */
  volumes: string[];
  labels: Array<[string, ArgumentValue]>;
  options: DockerOption[];
  network: string;
  runsProxy: boolean;
  proxy?: ProxyConfig;
  /** `.kamal/apps/<service>[-<dest>]/env/accessories/<name>.env` */
  envFilePath: string;
}

export interface BuilderConfig {
  arches: string[];
  remote?: string;
  /** False when `local: false`. */
  local: boolean;
  driver: string;
  cache?: { type: string; options?: string; image?: string };
  args: Array<[string, ArgumentValue]>;
  secrets: string[];
  dockerfile: string;
  target?: string;
  /** As written; absent means a git clone build. */
  context?: string;
  ssh?: string;
  provenance?: string;
  sbom?: boolean;
  /** The app's registry is a local one (Kamal 2.8): a local builder gets its own name and host networking. */
  localRegistry?: boolean;
}

export interface SshConfig {
  user: string;
  port: number;
  /** Jump host as `user@host` (user defaults to root). */
  proxy?: string;
  proxyCommand?: string;
  logLevel: string;
  keysOnly?: boolean;
  keys?: string[];
  keyData?: string[];
  config?: boolean;
  /** `ssh/forward_agent` (Kamal 2.12); absent means ssh2's default (no forwarding). */
  forwardAgent?: boolean;
  keepaliveInterval: number;
}

export interface RetrySettings {
  attempts: number;
  /** Seconds. */
  baseDelay: number;
  /** Seconds. */
  maxDelay: number;
  /** Seconds a host may refuse connections before it is declared down. */
  downAfter: number;
}

/** The watchdog's deadlines per kind of command, in seconds (0: none). */
export interface DeadlineSettings {
  command: number;
  pull: number;
  proxyDeploy: number;
  stop: number;
  build: number;
  hook: number;
  local: number;
}

export interface FleetPolicy {
  /** A number of hosts, or a fraction of them (`"34%"` → 0.34) when `percent` is set. */
  maxFailures: { count: number } | { percent: number };
  onFailure: 'keep' | 'revert';
}

export interface Config {
  /** Config files read, as given (relative to `cwd` when given relative). */
  files: string[];
  cwd: string;
  destination?: string;
  service: string;
  /** `<service>[-<destination>]`, used in remote paths, the lock and audit names. */
  serviceAndDestination: string;
  image: string;
  /** `[registry.server/]image` */
  repository: string;
  /** `latest[-<destination>]` */
  latestTag: string;
  registry: RegistryConfig;
  /** Primary role first, then the others alphabetically. */
  roles: RoleConfig[];
  /** Name of the primary role; absent for an accessory-only config. */
  primaryRole?: string;
  primaryHost?: string;
  allHosts: string[];
  /** Role names alphabetically, hosts as written, each host once (2.6.0 order, not primary-first). */
  appHosts: string[];
  proxyHosts: string[];
  accessories: AccessoryConfig[];
  env: EnvBlock & { tags: EnvTag[] };
  labels: Array<[string, ArgumentValue]>;
  volumes: string[];
  logging: LoggingConfig;
  /** Root proxy settings with defaults (what roles merge over). */
  proxy: ProxyConfig;
  assetPath?: string;
  hooksPath: string;
  /** `secrets_path` (Kamal 2.7): the base of the secrets files, `.kamal/secrets` by default. */
  secretsPath: string;
  errorPagesPath?: string;
  boot: { limit?: BootLimit; wait?: number; parallelRoles: boolean };
  builder: BuilderConfig;
  ssh: SshConfig;
  sshkit: { maxConcurrentStarts: number; poolIdleTimeout: number };
  aliases: Record<string, string>;
  requireDestination: boolean;
  allowEmptyRoles: boolean;
  deployTimeout: number;
  drainTimeout: number;
  readinessDelay: number;
  retainContainers: number;
  minimumVersion?: string;
  /** Always `.kamal`; the `run_directory` key is accepted and ignored, as in Kamal 2.6.0. */
  runDirectory: string;
  sextant: {
    retry: RetrySettings;
    deadlines: DeadlineSettings;
    fleet: FleetPolicy;
    /** `x-sextant/host_env`: app containers get KAMAL_HOST (and KAMAL_DESTINATION) as in Kamal 2.10. */
    hostEnv: boolean;
  };
}
