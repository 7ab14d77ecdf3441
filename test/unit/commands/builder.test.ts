import { shellwordsEscape } from '../../../src/commands/shell.ts';
// Builds: Kamal's test/commands/builder_test.rb (version 123), KAMAL-FACTS §2 steps 1-13 and §3.6,
// and the s01 pull recording.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildCommand,
  buildDirectory,
  builderInfo,
  builderKind,
  builderName,
  buildOptions,
  buildSecretsEnvironment,
  buildTags,
  cloneDirectory,
  createBuilder,
  dockerArch,
  ensureLocalDockerInstalled,
  firstMirror,
  gitClone,
  gitCloneResetSteps,
  gitCloneRevision,
  gitCloneStatus,
  inspectBuilder,
  MISSING_BUILDER_PATTERN,
  pullImage,
  remoteBuilderHost,
  removeBuilder,
  removeImage,
  usesGitClone,
  validateImage,
  type BuilderKind,
} from '../../../src/commands/builder.ts';
import { render, renderForDisplay, renderWord, toArgv } from '../../../src/commands/shell.ts';
import type { Config } from '../../../src/config/index.ts';
import { loadFixture } from '../../fixtures/commands/b/load.ts';

const LOCAL = 'amd64';

function push(config: Config, kind: BuilderKind = builderKind(config, LOCAL), extra: { output?: string; dirty?: boolean } = {}): string {
  return render(buildCommand({ config, kind, version: '123', dockerfileExists: true, ...extra }));
}

function options(config: Config): string {
  return buildOptions({ config, dockerfileExists: true }).map((word) => renderWord(word)).join(' ');
}

test('target linux/amd64 locally, with a gha cache', () => {
  const config = loadFixture('builder-gha.yml');
  assert.is(builderKind(config, LOCAL), 'local');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1');
});

test('the default build (KAMAL-FACTS §2 step 6 shape)', () => {
  assert.is(push(loadFixture('builder.yml')),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1');
});

test('hybrid build when a remote is set and building multiarch', () => {
  const config = loadFixture('builder-hybrid.yml');
  assert.is(builderKind(config, LOCAL), 'hybrid');
  assert.is(builderKind(config, 'arm64'), 'hybrid');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-hybrid-docker-container-ssh---app-127-0-0-1 -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1');
});

test('remote build when a remote is set and local builds are disabled', () => {
  const config = loadFixture('builder-remote.yml');
  assert.is(builderKind(config, LOCAL), 'remote');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-remote-ssh---app-127-0-0-1 -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1');
});

test('a remote with one arch: remote when that arch is not local, local when it is', () => {
  const config = loadFixture('builder-remote-arch.yml');
  assert.is(builderKind(config, 'amd64'), 'remote');
  assert.is(push(config, builderKind(config, 'amd64')),
    'docker buildx build --output=type=registry --platform linux/arm64 --builder kamal-remote-ssh---app-host -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1');
  assert.is(builderKind(config, 'arm64'), 'local');
  assert.is(push(config, builderKind(config, 'arm64')),
    'docker buildx build --output=type=registry --platform linux/arm64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest --cache-to type=gha --cache-from type=gha --label service="app" --file Dockerfile . 2>&1');
});

test('cloud builder', () => {
  const config = loadFixture('builder-cloud.yml');
  assert.is(builderKind(config, LOCAL), 'cloud');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder cloud-docker-org-name-builder-name -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1');
  assert.is(render(createBuilder(config.builder, 'cloud', LOCAL)), 'docker buildx create --driver cloud docker-org-name/builder-name');
  assert.is(render(removeBuilder(config.builder, 'cloud')), 'docker buildx rm cloud-docker-org-name-builder-name');
  assert.is(render(inspectBuilder(config.builder, 'cloud')), 'docker buildx inspect cloud-docker-org-name-builder-name');
});

test('build options in Kamal order: cache, label, args, secrets, file, target, ssh, provenance, sbom', () => {
  const config = loadFixture('builder-options.yml');
  // builder_test.rb: "build args", "build secrets", "build dockerfile", "build target", "build with ssh agent socket".
  assert.is(options(config),
    '--label service="app" --build-arg a="1" --build-arg b="2" --secret id="token_a" --secret id="token_b" --file Dockerfile.xyz --target prod --ssh default=$SSH_AUTH_SOCK --provenance mode=max --sbom true');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest --label service="app" --build-arg a="1" --build-arg b="2" --secret id="token_a" --secret id="token_b" --file Dockerfile.xyz --target prod --ssh default=$SSH_AUTH_SOCK --provenance mode=max --sbom true ./foo 2>&1');
});

test('build secrets go into the environment of the build, not on the command line', () => {
  const config = loadFixture('builder-options.yml');
  const env = buildSecretsEnvironment(config.builder, (name) => `value-of-${name}`);
  assert.equal(env, { token_a: 'value-of-token_a', token_b: 'value-of-token_b' });
  assert.not.ok(push(config).includes('value-of'));
  assert.equal(buildSecretsEnvironment(loadFixture('builder.yml').builder, () => { throw new Error('not asked'); }), {});
});

// Kamal's builder marks build args sensitive (`KEY=[REDACTED]` in its log); the command sent keeps
// the values (checked above).
test('build args are redacted where the command is shown', () => {
  const display = renderForDisplay(buildCommand({ config: loadFixture('builder-options.yml'), kind: 'local', version: '123', dockerfileExists: true }));
  assert.ok(display.includes('--build-arg a=[REDACTED] --build-arg b=[REDACTED] --secret id="token_a"'), display);
});

test('provenance false, sbom false, a parent context', () => {
  assert.is(push(loadFixture('builder-false.yml')),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile --provenance false --sbom false .. 2>&1');
});

test('a missing Dockerfile: Missing <file>', () => {
  assert.throws(() => buildCommand({ config: loadFixture('builder-options.yml'), kind: 'local', version: '123', dockerfileExists: false }), /^Missing Dockerfile\.xyz$/);
});

test('registry cache: ref with the server, the cache image and its options; a destination latest tag', () => {
  const config = loadFixture('builder-registry-cache.yml');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-local-docker-container -t registry.example.com/dhh/app:123 -t registry.example.com/dhh/app:latest --cache-to type=registry,ref=registry.example.com/dhh/app-cache,mode=max,image-manifest=true --cache-from type=registry,ref=registry.example.com/dhh/app-cache --label service="app" --file Dockerfile . 2>&1');
  assert.is(push(loadFixture('builder-registry-cache.yml', 'staging')),
    'docker buildx build --output=type=registry --platform linux/amd64,linux/arm64 --builder kamal-local-docker-container -t registry.example.com/dhh/app:123 -t registry.example.com/dhh/app:latest-staging --cache-to type=registry,ref=registry.example.com/dhh/app-cache,mode=max --cache-from type=registry,ref=registry.example.com/dhh/app-cache --label service="app" --file Dockerfile . 2>&1');
});

test('docker driver: no --builder, nothing to create, remove or inspect', () => {
  const config = loadFixture('builder-docker-driver.yml');
  assert.is(push(config),
    'docker buildx build --output=type=registry --platform linux/amd64 -t dhh/app:123 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1');
  // Nothing to create, remove or inspect: Kamal sends the empty command (`/usr/bin/env `).
  assert.is(render(createBuilder(config.builder, 'local', LOCAL)), '/usr/bin/env ');
  assert.is(render(removeBuilder(config.builder, 'local')), '/usr/bin/env ');
  assert.is(render(inspectBuilder(config.builder, 'local')), '/usr/bin/env ');
});

test('build dev: -dirty tags and another output', () => {
  const config = loadFixture('builder.yml');
  assert.is(push(config, 'local', { output: 'docker', dirty: true }),
    'docker buildx build --output=type=docker --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:123-dirty -t dhh/app:latest-dirty --label service="app" --file Dockerfile . 2>&1');
  assert.equal(buildTags(loadFixture('base.yml', 'staging'), '999', { dirty: true }), ['dhh/app:999-dirty', 'dhh/app:latest-staging-dirty']);
});

test('local builder setup (KAMAL-FACTS §2 step 5)', () => {
  const { builder } = loadFixture('builder.yml');
  assert.is(render(inspectBuilder(builder, 'local')), 'docker buildx inspect kamal-local-docker-container');
  assert.is(render(removeBuilder(builder, 'local')), 'docker buildx rm kamal-local-docker-container');
  assert.is(render(createBuilder(builder, 'local', LOCAL)), 'docker buildx create --name kamal-local-docker-container --driver=docker-container');
  assert.is(render(builderInfo('local')), 'docker context ls && docker buildx ls');
  assert.ok(MISSING_BUILDER_PATTERN.test('ERROR: no builder "kamal-local-docker-container" found'));
});

test('remote builder: context + buildx, inspect with the endpoint check', () => {
  const { builder } = loadFixture('builder-remote.yml');
  assert.is(builderName(builder, 'remote'), 'kamal-remote-ssh---app-127-0-0-1');
  assert.is(render(createBuilder(builder, 'remote', LOCAL)),
    "docker context create kamal-remote-ssh---app-127-0-0-1-context --description 'kamal-remote-ssh---app-127-0-0-1 host' --docker 'host=ssh://app@127.0.0.1' ; docker buildx create --name kamal-remote-ssh---app-127-0-0-1 kamal-remote-ssh---app-127-0-0-1-context");
  assert.is(render(removeBuilder(builder, 'remote')),
    'docker context rm kamal-remote-ssh---app-127-0-0-1-context ; docker buildx rm kamal-remote-ssh---app-127-0-0-1');
  assert.is(render(inspectBuilder(builder, 'remote')),
    "docker buildx inspect kamal-remote-ssh---app-127-0-0-1 | grep -q Endpoint:.*kamal-remote-ssh---app-127-0-0-1-context && docker context inspect kamal-remote-ssh---app-127-0-0-1-context --format '{{.Endpoints.docker.Host}}' | grep -xq ssh://app@127.0.0.1 || (echo no compatible builder && exit 1)");
  assert.is(render(builderInfo('remote')), 'docker context ls ; docker buildx ls');
  assert.equal(remoteBuilderHost(builder), { host: '127.0.0.1', user: 'app' });
  assert.equal(remoteBuilderHost({ ...builder, remote: 'ssh://docker@[::1]:2222' }), { host: '::1', user: 'docker', port: 2222 });
  assert.is(remoteBuilderHost({ ...builder, remote: 'tcp://10.0.0.1:2375' }), undefined);
});

test('hybrid builder: local buildx for the local arch, appended remote for the rest', () => {
  const { builder } = loadFixture('builder-hybrid.yml');
  const name = 'kamal-hybrid-docker-container-ssh---app-127-0-0-1';
  assert.is(render(createBuilder(builder, 'hybrid', 'amd64')),
    `docker buildx create --platform linux/amd64 --name ${name} --driver=docker-container && docker context create ${name}-context --description '${name} host' --docker 'host=ssh://app@127.0.0.1' && docker buildx create --platform linux/arm64 --append --name ${name} ${name}-context`);
  assert.is(render(createBuilder(builder, 'hybrid', 'arm64')),
    `docker buildx create --platform linux/arm64 --name ${name} --driver=docker-container && docker context create ${name}-context --description '${name} host' --docker 'host=ssh://app@127.0.0.1' && docker buildx create --platform linux/amd64 --append --name ${name} ${name}-context`);
  assert.is(render(inspectBuilder(builder, 'hybrid')),
    `docker buildx inspect ${name} | grep -q Endpoint:.*${name}-context && docker context inspect ${name}-context --format '{{.Endpoints.docker.Host}}' | grep -xq ssh://app@127.0.0.1 || (echo no compatible builder && exit 1)`);
});

test('docker arch names and the local checks', () => {
  assert.is(dockerArch('aarch64\n'), 'arm64');
  assert.is(dockerArch('x86_64'), 'amd64');
  assert.is(dockerArch('riscv64'), 'riscv64');
  assert.is(render(ensureLocalDockerInstalled()), 'docker --version && docker buildx version');
});

test('pull on servers (s01 recording): image rm, pull, label check, mirror probe', () => {
  const config = loadFixture('shop.yml');
  assert.is(render(removeImage(config, 'abc1234')), 'docker image rm --force registry.example.com/acme/shop:abc1234');
  assert.is(render(pullImage(config, 'abc1234')), 'docker pull registry.example.com/acme/shop:abc1234');
  assert.is(render(validateImage(config, 'abc1234')),
    `docker inspect -f '{{ .Config.Labels.service }}' registry.example.com/acme/shop:abc1234 | grep -x shop || (echo "Image registry.example.com/acme/shop:abc1234 is missing the 'service' label" && exit 1)`);
  assert.is(render(validateImage(loadFixture('builder.yml'), '123')),
    `docker inspect -f '{{ .Config.Labels.service }}' dhh/app:123 | grep -x app || (echo "Image dhh/app:123 is missing the 'service' label" && exit 1)`);
  assert.is(render(firstMirror()), "docker info --format '{{index .RegistryConfig.Mirrors 0}}'");
});

test('git clone: paths shell-escaped like Ruby Shellwords (a root with spaces)', () => {
  const root = '/absolute/path with spaces';
  const clone = cloneDirectory('/tmp', 'app', 'a1b2c3d4e5f6a7b8c9d0');
  assert.is(clone, '/tmp/kamal-clones/app-a1b2c3d4e5f6a');
  const build = buildDirectory(clone, root, `${root}/sub/dir`);
  assert.is(build, '/tmp/kamal-clones/app-a1b2c3d4e5f6a/path with spaces/sub/dir');
  assert.is(buildDirectory(clone, '/src/app', '/src/app'), '/tmp/kamal-clones/app-a1b2c3d4e5f6a/app');
  assert.is(render(gitClone({ gitRoot: root, cloneDirectory: clone })),
    '/usr/bin/env git -C /tmp/kamal-clones/app-a1b2c3d4e5f6a clone /absolute/path\\ with\\ spaces --recurse-submodules');
  const steps = gitCloneResetSteps({ gitRoot: root, buildDirectory: build, revision: '0123abcd' }).map((step) => render(step));
  const dir = '/tmp/kamal-clones/app-a1b2c3d4e5f6a/path\\ with\\ spaces/sub/dir';
  assert.equal(steps, [
    `/usr/bin/env git -C ${dir} remote set-url origin /absolute/path\\ with\\ spaces`,
    `/usr/bin/env git -C ${dir} fetch origin`,
    `/usr/bin/env git -C ${dir} reset --hard 0123abcd`,
    `/usr/bin/env git -C ${dir} clean -fdx`,
    `/usr/bin/env git -C ${dir} submodule update --init`,
  ]);
  assert.is(render(gitCloneStatus(build)), `/usr/bin/env git -C ${dir} status --porcelain`);
  assert.is(render(gitCloneRevision(build)), `/usr/bin/env git -C ${dir} rev-parse HEAD`);
  assert.equal(toArgv(gitClone({ gitRoot: root, cloneDirectory: clone })), ['git', '-C', clone, 'clone', root, '--recurse-submodules']);
  assert.ok(usesGitClone(loadFixture('builder.yml').builder, true));
  assert.not.ok(usesGitClone(loadFixture('builder-false.yml').builder, true));
  assert.not.ok(usesGitClone(loadFixture('builder.yml').builder, false));
});

test('shellwords escape: hostile paths stay one word', () => {
  assert.is(shellwordsEscape(''), "''");
  assert.is(shellwordsEscape("a'b\"c$(d)`e`;f"), "a\\'b\\\"c\\$\\(d\\)\\`e\\`\\;f");
  assert.is(shellwordsEscape('x\ny'), "x'\n'y");
  assert.is(shellwordsEscape('dé'), 'd\\é');
  assert.equal(toArgv(gitCloneStatus("/tmp/it's $(here)")), ['git', '-C', "/tmp/it's $(here)", 'status', '--porcelain']);
});

test.run();
