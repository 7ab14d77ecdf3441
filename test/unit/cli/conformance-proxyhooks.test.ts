// Dry-run plans for the proxy boot config, docker-driver builds and hooks, checked against Kamal
// 2.6.0's source (cli/proxy.rb, cli/build.rb, commands/builder/local.rb, SSHKit's command map).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { foldBooleanValues } from '../../../src/cli/thor-booleans.ts';
import { normalizeArgv } from '../../../src/cli/options.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { emptyBuilderCommand } from '../../../src/commands/builder.ts';
import { render } from '../../../src/commands/shell.ts';
import { LocalTransport } from '../../../src/remote/local.ts';
import { tempProject } from '../config/temp-project.ts';

// Two proxy hosts (web) and one host without the proxy (workers); the plain `docker` build driver.
const DOCKER_DRIVER_CONFIG = `service: relay
image: acme/relay
servers:
  web: [10.0.3.11, 10.0.3.12]
  workers: { hosts: [10.0.3.13], cmd: bin/jobs }
registry: { server: ghcr.io, username: relaybot, password: [KAMAL_REGISTRY_PASSWORD] }
proxy: { host: relay.example.com, app_port: 8080 }
builder: { arch: amd64, driver: docker }
`;

const DEFAULT_DRIVER_CONFIG = DOCKER_DRIVER_CONFIG.replace('builder: { arch: amd64, driver: docker }', 'builder: { arch: amd64 }');

const HOOKS = ['pre-connect', 'pre-build', 'pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot'];

async function plan(config: string, argv: string[], options: { hooks?: boolean } = {}): Promise<string[]> {
  const p = tempProject({ 'config/deploy.yml': config, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-31aa\n', Dockerfile: 'FROM scratch\n' });
  try {
    if (options.hooks) {
      mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
      for (const hook of HOOKS) {
        writeFileSync(join(p.dir, '.kamal/hooks', hook), '#!/bin/sh\nexit 0\n');
        chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
      }
    }
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    assert.is(await runCli([...argv, '--dry-run'], io), 0, `sextant ${argv.join(' ')} --dry-run\n${io.stderr}`);
    return io.stdout.split('\n').filter((line) => line.startsWith('[')).map((line) => line.trimEnd());
  } finally {
    p.cleanup();
  }
}

const local = (lines: string[]) => lines.filter((line) => line.startsWith('[local] '));
const onHost = (lines: string[], host: string) => lines.filter((line) => line.startsWith(`[${host}] `));

// --- Thor boolean values --------------------------------------------------------------------

// Thor reads `false` after a boolean switch as its value (`--publish false`), so Kamal publishes
// nothing: the options file holds only the log option and is uploaded; the image version too.
test('proxy boot_config set --publish false is --no-publish', async () => {
  const expected = [
    '/usr/bin/env mkdir -p .kamal/proxy',
    'upload .kamal/proxy/options (mode 0644, 1 line)',
    '/usr/bin/env rm .kamal/proxy/image',
    'upload .kamal/proxy/image_version (mode 0644, 1 line)',
    '/usr/bin/env rm .kamal/proxy/run_command',
  ];
  for (const flags of [['--publish', 'false'], ['--publish=false'], ['--no-publish'], ['--publish', 'f']]) {
    const lines = await plan(DOCKER_DRIVER_CONFIG, ['proxy', 'boot_config', 'set', ...flags, '--image_version', 'v0.9.0']);
    for (const host of ['10.0.3.11', '10.0.3.12']) {
      assert.equal(onHost(lines, host).map((l) => l.slice(host.length + 3)), expected, flags.join(' '));
    }
    assert.equal(onHost(lines, '10.0.3.13'), [], 'no proxy on the workers host');
  }
});

test('proxy boot_config set --publish true keeps the default options', async () => {
  const lines = await plan(DOCKER_DRIVER_CONFIG, ['proxy', 'boot_config', 'set', '--publish', 'true']);
  assert.equal(onHost(lines, '10.0.3.11'), [
    '[10.0.3.11] /usr/bin/env mkdir -p .kamal/proxy',
    '[10.0.3.11] /usr/bin/env rm .kamal/proxy/options',
    '[10.0.3.11] /usr/bin/env rm .kamal/proxy/image',
    '[10.0.3.11] /usr/bin/env rm .kamal/proxy/image_version',
    '[10.0.3.11] /usr/bin/env rm .kamal/proxy/run_command',
  ]);
});

test('proxy reboot --rolling false reboots all proxy hosts as one group', async () => {
  const together = local(await plan(DOCKER_DRIVER_CONFIG, ['proxy', 'reboot', '--rolling', 'false', '-y'], { hooks: true }));
  assert.equal(together, [
    '[local] /usr/bin/env .kamal/hooks/pre-connect',
    '[local] /usr/bin/env .kamal/hooks/pre-proxy-reboot',
    '[local] /usr/bin/env .kamal/hooks/post-proxy-reboot',
  ]);
  const rolling = local(await plan(DOCKER_DRIVER_CONFIG, ['proxy', 'reboot', '--rolling', 'true', '-y'], { hooks: true }));
  assert.equal(rolling, [
    '[local] /usr/bin/env .kamal/hooks/pre-connect',
    '[local] /usr/bin/env .kamal/hooks/pre-proxy-reboot',
    '[local] /usr/bin/env .kamal/hooks/post-proxy-reboot',
    '[local] /usr/bin/env .kamal/hooks/pre-proxy-reboot',
    '[local] /usr/bin/env .kamal/hooks/post-proxy-reboot',
  ]);
});

test('boolean values are folded only after boolean switches', async () => {
  const program = await buildProgram({ io: captureIO('/tmp', {}) });
  const fold = (argv: string[]) => foldBooleanValues(normalizeArgv(argv), program);
  assert.equal(fold(['proxy', 'boot_config', 'set', '--publish', 'false']), ['proxy', 'boot_config', 'set', '--no-publish']);
  assert.equal(fold(['proxy', 'boot_config', 'set', '--debug', 'FALSE']), ['proxy', 'boot_config', 'set']);
  assert.equal(fold(['proxy', 'reboot', '-y', 't']), ['proxy', 'reboot', '-y']);
  assert.equal(fold(['deploy', '--skip_push', 'true']), ['deploy', '--skip-push']);
  // A value-taking option keeps its value, even one that reads like a boolean.
  assert.equal(fold(['proxy', 'boot_config', 'set', '--image_version', 'false']), ['proxy', 'boot_config', 'set', '--image-version', 'false']);
  // Any other word after a switch is left for the command.
  assert.equal(fold(['proxy', 'boot_config', 'set', '--publish', 'yes']), ['proxy', 'boot_config', 'set', '--publish', 'yes']);
  assert.equal(fold(['app', 'exec', '--', '--reuse', 'false']), ['app', 'exec', '--', '--reuse', 'false']);
});

// --- docker driver builds ---------------------------------------------------------------------

// commands/builder/base.rb `inspect_builder` and builder/local.rb `create`/`remove` are nil for the
// docker driver, but cli/build.rb still calls `execute *nil`: SSHKit maps the empty command name
// to `/usr/bin/env `. The build has no `--builder`.
test('build push with the docker driver: empty inspect command, no --builder', async () => {
  assert.equal(local(await plan(DOCKER_DRIVER_CONFIG, ['build', 'push'])), [
    '[local] docker --version && docker buildx version',
    '[local] docker login ghcr.io -u [REDACTED] -p [REDACTED]',
    '[local] /usr/bin/env',
    '[local] docker buildx build --output=type=registry --platform linux/amd64 -t ghcr.io/acme/relay:abc1234 -t ghcr.io/acme/relay:latest --label service="relay" --file Dockerfile . 2>&1',
  ]);
});

test('build create / remove with the docker driver send the empty command', async () => {
  assert.equal(await plan(DOCKER_DRIVER_CONFIG, ['build', 'create']), ['[local] /usr/bin/env']);
  assert.equal(await plan(DOCKER_DRIVER_CONFIG, ['build', 'remove']), ['[local] /usr/bin/env']);
  assert.equal(await plan(DOCKER_DRIVER_CONFIG, ['build', 'details']), ['[local] docker context ls && docker buildx ls']);
});

test('build create / remove with the default driver', async () => {
  assert.equal(await plan(DEFAULT_DRIVER_CONFIG, ['build', 'create']), ['[local] docker buildx create --name kamal-local-docker-container --driver=docker-container']);
  assert.equal(await plan(DEFAULT_DRIVER_CONFIG, ['build', 'remove']), ['[local] docker buildx rm kamal-local-docker-container']);
});

// Local order of a deploy with every hook: pre-build after the login, pre-connect just before the
// first remote command (the pull), then pre-deploy under the lock, one boot group, post-deploy.
test('deploy with every hook and the docker driver: local lines in order', async () => {
  assert.equal(local(await plan(DOCKER_DRIVER_CONFIG, ['deploy'], { hooks: true })), [
    '[local] docker --version && docker buildx version',
    '[local] docker login ghcr.io -u [REDACTED] -p [REDACTED]',
    '[local] /usr/bin/env .kamal/hooks/pre-build',
    '[local] /usr/bin/env',
    '[local] docker buildx build --output=type=registry --platform linux/amd64 -t ghcr.io/acme/relay:abc1234 -t ghcr.io/acme/relay:latest --label service="relay" --file Dockerfile . 2>&1',
    '[local] /usr/bin/env .kamal/hooks/pre-connect',
    '[local] /usr/bin/env .kamal/hooks/pre-deploy',
    '[local] /usr/bin/env .kamal/hooks/pre-app-boot',
    '[local] /usr/bin/env .kamal/hooks/post-app-boot',
    '[local] /usr/bin/env .kamal/hooks/post-deploy',
  ]);
});

test('the empty command renders as SSHKit sends it and is not run locally', async () => {
  assert.is(render(emptyBuilderCommand()), '/usr/bin/env ');
  const transport = new LocalTransport({ cwd: '/tmp', env: { PATH: process.env.PATH, SEXTANT_PROBE: 'x' } });
  const result = await transport.exec(emptyBuilderCommand());
  assert.equal(result, { exitCode: 0, stdout: '', stderr: '' }, 'the environment is not dumped');
});

test.run();
