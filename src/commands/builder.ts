// Image builds (lib/kamal/commands/builder.rb, builder/*.rb, configuration/builder.rb): the buildx
// builder of each kind (local, remote, hybrid, cloud) with its create/remove/inspect commands, the
// `docker buildx build` line, the git clone a build runs in, and the per-server pull pieces.
// Things found on the operator's machine (docker's architecture, the git root and revision, the
// clone directory, whether the Dockerfile exists) are parameters.

import type { BuilderConfig, Config } from '../config/types.ts';
import { UserError } from '../errors.ts';
import {
  and,
  argumentize,
  argv,
  docker,
  dquote,
  group,
  or,
  pipe,
  raw,
  redirect,
  script,
  seq,
  shellCode,
  shellwords,
  squote,
  word,
  type Command,
  type Word,
} from './command.ts';

export type BuilderKind = 'local' | 'remote' | 'hybrid' | 'cloud';

type BuildConfig = Pick<Config, 'service' | 'image' | 'repository' | 'latestTag' | 'registry' | 'builder'>;

// ---------------------------------------------------------------------------------------------
// Which builder

/** Arches built on this machine: none with `local: false`, the local one with a remote, else all. */
export function localArches(builder: BuilderConfig, localArch: string): string[] {
  if (!builder.local) return [];
  if (builder.remote !== undefined) return builder.arches.filter((arch) => arch === localArch);
  return [...builder.arches];
}

/** Arches built on the remote builder: the ones not built locally (none without a remote). */
export function remoteArches(builder: BuilderConfig, localArch: string): string[] {
  if (builder.remote === undefined) return [];
  const local = localArches(builder, localArch);
  return builder.arches.filter((arch) => !local.includes(arch));
}

/**
 * Kamal's builder choice, given the local docker architecture (`amd64`/`arm64`, from
 * `docker info --format '{{.Architecture}}'`): a remote that builds some arch → hybrid when some
 * arch is also built locally, else remote; otherwise a `cloud…` driver → cloud; otherwise local.
 */
export function builderKind(config: { readonly builder: BuilderConfig }, localArch: string): BuilderKind {
  const { builder } = config;
  const remote = remoteArches(builder, localArch).length > 0;
  const local = builder.local && (builder.arches.length === 0 || localArches(builder, localArch).length > 0);
  if (remote) return local ? 'hybrid' : 'remote';
  if (builder.driver.startsWith('cloud')) return 'cloud';
  return 'local';
}

/** Maps `docker info` architectures to Kamal's names (`aarch64` → arm64, `x86_64` → amd64). */
export function dockerArch(infoArchitecture: string): string {
  const arch = infoArchitecture.trim();
  if (arch.includes('aarch64')) return 'arm64';
  if (arch.includes('x86_64')) return 'amd64';
  return arch;
}

export function usesDockerDriver(builder: BuilderConfig): boolean {
  return builder.driver === 'docker';
}

function sanitizedRemote(builder: BuilderConfig): string {
  return requireRemote(builder).replace(/[^a-z0-9_-]/g, '-');
}

function requireRemote(builder: BuilderConfig): string {
  if (builder.remote === undefined) throw new UserError('builder: a remote builder needs builder/remote to be set');
  return builder.remote;
}

/** The buildx builder name for a kind: `kamal-local-<driver>`, `kamal-remote-<remote>`, … */
export function builderName(builder: BuilderConfig, kind: BuilderKind): string {
  switch (kind) {
    case 'local':
      // Kamal 2.8: a builder that pushes to a local registry is a separate one (it has host networking).
      return builder.localRegistry ? `kamal-local-registry-${builder.driver}` : `kamal-local-${builder.driver}`;
    case 'remote':
      return `kamal-remote-${sanitizedRemote(builder)}`;
    case 'hybrid':
      return `kamal-hybrid-${builder.driver}-${sanitizedRemote(builder)}`;
    case 'cloud':
      return builder.driver.replace(/[ /]/g, '-');
  }
}

/** `<builder>-context`: the docker context of a remote or hybrid builder. */
export function remoteContextName(builder: BuilderConfig, kind: 'remote' | 'hybrid'): string {
  return `${builderName(builder, kind)}-context`;
}

// ---------------------------------------------------------------------------------------------
// Builder setup (local commands)

/** `docker --version && docker buildx version`: the first local command of a build. */
export { ensureLocalDockerInstalled } from './docker.ts';

function platformOptions(arches: readonly string[]): Word[] {
  return arches.length === 0 ? [] : argumentize('--platform', arches.map((arch) => `linux/${arch}`).join(','));
}

function createRemoteContext(builder: BuilderConfig, kind: 'remote' | 'hybrid'): Command {
  const name = builderName(builder, kind);
  return docker('context', 'create', remoteContextName(builder, kind), '--description', squote(`${name} host`),
    '--docker', squote(`host=${requireRemote(builder)}`));
}

/**
 * What Kamal sends where the `docker` driver has no builder command (inspect, create, remove): it
 * still calls `execute` with nothing, and SSHKit maps that empty command to `/usr/bin/env ` (which
 * only prints the local environment and always succeeds).
 */
export function emptyBuilderCommand(): Command {
  return script('');
}

/**
 * Creates the builder; the empty command for the `docker` driver on a local builder (nothing to create).
 * For an `ssh://` remote Kamal first runs `true` on that host (see `remoteBuilderHost`).
 */
export function createBuilder(builder: BuilderConfig, kind: BuilderKind, localArch: string): Command {
  switch (kind) {
    case 'local':
      if (usesDockerDriver(builder)) return emptyBuilderCommand();
      return docker('buildx', 'create', '--name', builderName(builder, kind), word(raw('--driver='), builder.driver),
        builder.localRegistry && raw('--driver-opt network=host'));
    case 'remote':
      return seq(createRemoteContext(builder, kind), docker('buildx', 'create', '--name', builderName(builder, kind), remoteContextName(builder, kind)));
    case 'hybrid':
      return and(
        docker('buildx', 'create', ...platformOptions(localArches(builder, localArch)), '--name', builderName(builder, kind),
          word(raw('--driver='), builder.driver)),
        createRemoteContext(builder, kind),
        docker('buildx', 'create', ...platformOptions(remoteArches(builder, localArch)), '--append', '--name', builderName(builder, kind),
          remoteContextName(builder, kind)),
      );
    case 'cloud':
      // `cloud org/name` is two words on purpose: the driver, then the cloud builder it points at.
      return docker('buildx', 'create', '--driver', ...builder.driver.split(/\s+/).filter(Boolean));
  }
}

/** Removes the builder; the empty command for the `docker` driver on a local builder. */
export function removeBuilder(builder: BuilderConfig, kind: BuilderKind): Command {
  switch (kind) {
    case 'local':
      return usesDockerDriver(builder) ? emptyBuilderCommand() : docker('buildx', 'rm', builderName(builder, kind));
    case 'remote':
    case 'hybrid':
      return seq(docker('context', 'rm', remoteContextName(builder, kind)), docker('buildx', 'rm', builderName(builder, kind)));
    case 'cloud':
      return docker('buildx', 'rm', builderName(builder, kind));
  }
}

/**
 * Checks that the builder exists (and, for remote/hybrid, points at the configured remote);
 * the empty command with the `docker` driver. A failure mentioning `context not found`, `no builder`,
 * `no compatible builder` or `does not exist` means: remove, then create.
 */
export function inspectBuilder(builder: BuilderConfig, kind: BuilderKind): Command {
  if (kind === 'remote' || kind === 'hybrid') {
    const name = builderName(builder, kind);
    const context = remoteContextName(builder, kind);
    return or(
      and(
        pipe(docker('buildx', 'inspect', name), argv('grep', '-q', word(raw('Endpoint:.*'), context))),
        pipe(docker('context', 'inspect', context, '--format', raw("'{{.Endpoints.docker.Host}}'")), argv('grep', '-xq', requireRemote(builder))),
      ),
      group(and(argv('echo', 'no', 'compatible', 'builder'), argv('exit', 1))),
    );
  }
  return usesDockerDriver(builder) ? emptyBuilderCommand() : docker('buildx', 'inspect', builderName(builder, kind));
}

/** Text a failed inspect prints when the builder must be (re)created. */
export const MISSING_BUILDER_PATTERN = /(context not found|no builder|no compatible builder|does not exist)/;

/** `docker context ls && docker buildx ls` (` ; ` for remote and hybrid builders). */
export function builderInfo(kind: BuilderKind): Command {
  const list = [docker('context', 'ls'), docker('buildx', 'ls')];
  return kind === 'remote' || kind === 'hybrid' ? seq(...list) : and(...list);
}

/** The `ssh://` remote's host, user and port, where Kamal runs `true` before creating the builder. */
export function remoteBuilderHost(builder: BuilderConfig): { host: string; user?: string; port?: number } | undefined {
  if (builder.remote === undefined) return undefined;
  const match = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::(\d+))?/.exec(builder.remote);
  if (!match) return undefined;
  const host = match[2]!.replace(/^\[|\]$/g, '');
  const result: { host: string; user?: string; port?: number } = { host };
  if (match[1]) result.user = match[1];
  if (match[3]) result.port = Number(match[3]);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The build

/** `<repository>:<version>` and `<repository>:latest[-<dest>]`, each with `-dirty` for dev builds. */
export function buildTags(config: Pick<Config, 'repository' | 'latestTag'>, version: string, options: { readonly dirty?: boolean } = {}): string[] {
  const tags = [`${config.repository}:${version}`, `${config.repository}:${config.latestTag}`];
  return options.dirty ? tags.map((tag) => `${tag}-dirty`) : tags;
}

/** `--cache-to` value, or undefined without a (known) cache type. */
export function cacheTo(config: BuildConfig): string | undefined {
  const cache = config.builder.cache;
  if (!cache) return undefined;
  if (cache.type === 'gha') return ['type=gha', cache.options].filter(isSet).join(',');
  if (cache.type === 'registry') return ['type=registry', `ref=${cacheImageRef(config)}`, cache.options].filter(isSet).join(',');
  return undefined;
}

/** `--cache-from` value, or undefined without a (known) cache type. */
export function cacheFrom(config: BuildConfig): string | undefined {
  const cache = config.builder.cache;
  if (!cache) return undefined;
  if (cache.type === 'gha') return 'type=gha';
  if (cache.type === 'registry') return `type=registry,ref=${cacheImageRef(config)}`;
  return undefined;
}

function cacheImageRef(config: BuildConfig): string {
  const image = config.builder.cache?.image ?? `${config.image}-build-cache`;
  return [config.registry.server, image].filter(isSet).join('/');
}

function isSet(text: string | undefined): text is string {
  return text !== undefined;
}

export type BuildOptionsInput = {
  readonly config: BuildConfig;
  /** Whether `builder.dockerfile` exists (relative to the working directory); Kamal raises `Missing <file>` otherwise. */
  readonly dockerfileExists: boolean;
};

/** Everything after the tags: cache, label, build args, secrets, file, target, ssh, provenance, sbom. */
export function buildOptions({ config, dockerfileExists }: BuildOptionsInput): Word[] {
  const { builder } = config;
  const to = cacheTo(config);
  const from = cacheFrom(config);
  if (!dockerfileExists) throw new UserError(`Missing ${builder.dockerfile}`);
  return [
    ...(to !== undefined && from !== undefined ? [...argumentize('--cache-to', to), ...argumentize('--cache-from', from)] : []),
    ...argumentize('--label', { service: config.service }),
    ...argumentize('--build-arg', builder.args, { sensitive: true }),
    ...argumentize('--secret', builder.secrets.map((name) => ['id', name] as const)),
    ...argumentize('--file', builder.dockerfile),
    ...(isPresent(builder.target) ? argumentize('--target', builder.target) : []),
    // Written by the operator for the local shell (`default=$SSH_AUTH_SOCK`): sent as is, like Kamal.
    ...(isPresent(builder.ssh) ? [word('--ssh'), word(shellCode(builder.ssh))] : []),
    ...(builder.provenance !== undefined ? argumentize('--provenance', String(builder.provenance)) : []),
    ...(builder.sbom !== undefined ? argumentize('--sbom', String(builder.sbom)) : []),
  ];
}

function isPresent(text: string | undefined): text is string {
  return text !== undefined && !/^\s*$/.test(text);
}

export type BuildCommandInput = BuildOptionsInput & {
  readonly kind: BuilderKind;
  readonly version: string;
  /** buildx `--output=type=<…>`: `registry` for `build push`, `docker` for `build dev`. */
  readonly output?: string;
  /** `build dev`: tags end in `-dirty`. */
  readonly dirty?: boolean;
};

/**
 * `docker buildx build --output=type=registry --platform linux/… [--builder <b>] -t <img>:<v>
 * -t <img>:latest … <context> 2>&1`, run locally in the build directory with the
 * `builder.secrets` values in its environment.
 */
export function buildCommand(input: BuildCommandInput): Command {
  const { config, kind, version } = input;
  const { builder } = config;
  const tags = buildTags(config, version, { dirty: input.dirty ?? false }).flatMap((tag) => ['-t', tag]);
  return redirect(
    docker(
      'buildx',
      'build',
      word(raw('--output=type='), input.output ?? 'registry'),
      ...platformOptions(builder.arches),
      ...(usesDockerDriver(builder) ? [] : ['--builder', builderName(builder, kind)]),
      ...tags,
      ...buildOptions(input),
      buildContext(builder),
    ),
    '2>&1',
  );
}

/**
 * The environment the local build runs with: each `builder.secrets` name set to its secret value
 * (`--secret id="K"` makes buildx read it from there). Never log it.
 */
export function buildSecretsEnvironment(builder: BuilderConfig, secrets: (name: string) => string): Record<string, string> {
  return Object.fromEntries(builder.secrets.map((name) => [name, secrets(name)]));
}

/** The build context as configured (`.` when unset: the clone's, or the working directory). */
export function buildContext(builder: BuilderConfig): string {
  return builder.context ?? '.';
}

/** A build from a git clone: the default inside a git repository when `builder.context` is unset. */
export function usesGitClone(builder: BuilderConfig, inGitRepository: boolean): boolean {
  return inGitRepository && builder.context === undefined;
}

// ---------------------------------------------------------------------------------------------
// Git clone build (local commands)

export type CloneInput = {
  /** `git rev-parse --show-toplevel` of the working directory. */
  readonly gitRoot: string;
  /** `<tmpdir>/kamal-clones/<service>-<first 13 hex of sha256(pwd)>` */
  readonly cloneDirectory: string;
};

/** `<tmpdir>/kamal-clones/<service>-<pwdSha13>` from its pieces. */
export function cloneDirectory(tmpDir: string, service: string, pwdSha256Hex: string): string {
  return `${tmpDir.replace(/\/+$/, '')}/kamal-clones/${service}-${pwdSha256Hex.slice(0, 13)}`;
}

/** `<clone>/<basename of git root><pwd relative to git root>` */
export function buildDirectory(clone: string, gitRoot: string, pwd: string): string {
  const basename = gitRoot.replace(/\/+$/, '').split('/').pop() ?? '';
  const relative = pwd.startsWith(gitRoot) ? pwd.slice(gitRoot.length) : pwd;
  return joinPath(joinPath(clone, basename), relative);
}

/** Ruby File.join of two parts: exactly one `/` between them. */
function joinPath(left: string, right: string): string {
  if (right === '') return left;
  return `${left.replace(/\/+$/, '')}/${right.replace(/^\/+/, '')}`;
}


function git(path: string, ...inputs: Array<string | Word>): Command {
  return argv('git', '-C', shellwords(path), ...inputs);
}

/** `git -C <clone dir> clone <git root> --recurse-submodules` */
export function gitClone({ gitRoot, cloneDirectory: clone }: CloneInput): Command {
  return git(clone, 'clone', word(shellwords(gitRoot)), '--recurse-submodules');
}

/** Run in the build directory when the clone already exists: point at the root, fetch, reset, clean. */
export function gitCloneResetSteps(input: { readonly gitRoot: string; readonly buildDirectory: string; readonly revision: string }): Command[] {
  const dir = input.buildDirectory;
  return [
    git(dir, 'remote', 'set-url', 'origin', word(shellwords(input.gitRoot))),
    git(dir, 'fetch', 'origin'),
    git(dir, 'reset', '--hard', input.revision),
    git(dir, 'clean', '-fdx'),
    git(dir, 'submodule', 'update', '--init'),
  ];
}

/** `git -C <build dir> status --porcelain`: must print nothing. */
export function gitCloneStatus(buildDirectoryPath: string): Command {
  return git(buildDirectoryPath, 'status', '--porcelain');
}

/** `git -C <build dir> rev-parse HEAD`: must equal the working directory's revision. */
export function gitCloneRevision(buildDirectoryPath: string): Command {
  return git(buildDirectoryPath, 'rev-parse', 'HEAD');
}

/** A failed clone that means "reuse it": reset instead of cloning again. */
export const CLONE_EXISTS_PATTERN = /already exists and is not an empty directory/;

// ---------------------------------------------------------------------------------------------
// Pull on servers (remote commands)

/** `<repository>:<version>` */
export function absoluteImage(config: Pick<Config, 'repository'>, version: string): string {
  return `${config.repository}:${version}`;
}

/** `docker image rm --force <image>` (errors ignored by the caller). */
export function removeImage(config: Pick<Config, 'repository'>, version: string): Command {
  return docker('image', 'rm', '--force', absoluteImage(config, version));
}

/** `docker pull <image>` */
export function pullImage(config: Pick<Config, 'repository'>, version: string): Command {
  return docker('pull', absoluteImage(config, version));
}

/** `docker inspect -f '{{ .Config.Labels.service }}' <img> | grep -x <svc> || (echo "Image <img> is missing the 'service' label" && exit 1)` */
export function validateImage(config: Pick<Config, 'repository' | 'service'>, version: string): Command {
  const image = absoluteImage(config, version);
  return or(
    pipe(docker('inspect', '-f', raw("'{{ .Config.Labels.service }}'"), image), argv('grep', '-x', config.service)),
    group(and(argv('echo', dquote(`Image ${image} is missing the 'service' label`)), argv('exit', 1))),
  );
}

/** `docker info --format '{{index .RegistryConfig.Mirrors 0}}'` (asked only with more than one app host). */
export function firstMirror(): Command {
  return docker('info', '--format', raw("'{{index .RegistryConfig.Mirrors 0}}'"));
}

/** A failed mirror probe that just means "no mirror". */
export const NO_MIRROR_PATTERN = /error calling index: reflect: slice index out of range/;
