// `sextant check`: what each probe sends, and how its answer reads (✔, or ✖ with a fix). The real
// runs against servers broken in each way are in test/integration/check/.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, renderForDisplay } from '../../../src/commands/shell.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import * as probe from '../../../src/cli/check/probes.ts';
import { checkJson, checkLine, summaryLine } from '../../../src/cli/check/render.ts';
import { localChecks } from '../../../src/cli/check/run.ts';
import { createSecrets } from '../../../src/secrets/index.ts';
import { tempProject } from '../config/temp-project.ts';

const out = (exitCode: number, stdout = '', stderr = '') => ({ exitCode, stdout, stderr });
const H = '10.0.0.2';

test('ssh failures name the cause and the fix', () => {
  const refused = probe.sshFailure(H, 'deploy', 2222, `[${H}] connect ECONNREFUSED ${H}:2222`);
  assert.is(refused.status, 'fail');
  assert.is(refused.detail, 'connection refused on port 2222');
  assert.match(refused.fix!, 'start sshd on 10.0.0.2, or set ssh/port');
  const auth = probe.sshFailure(H, 'deploy', 22, `[${H}] All configured authentication methods failed`);
  assert.is(auth.detail, 'deploy was refused: no key was accepted');
  assert.match(auth.fix!, '~deploy/.ssh/authorized_keys');
  const timeout = probe.sshFailure(H, 'root', 22, `[${H}] Timed out while waiting for handshake`);
  assert.match(timeout.detail, 'no answer on port 22');
  assert.match(timeout.fix!, 'firewall');
  assert.is(probe.sshOk(H, 'root', 22).detail, 'root@10.0.0.2:22');
  assert.is(probe.sshOk(H, 'root', 22, 'bastion@jump').detail, 'root@10.0.0.2:22 via bastion@jump');
});

test('the docker socket: usable, permission denied, hung daemon, daemon down', () => {
  assert.is(render(probe.daemonProbe()), "/usr/bin/env timeout 15 docker info --format '{{.ServerVersion}} {{.DockerRootDir}}'");
  const good = probe.daemon(H, 'root', out(0, '24.0.7 /var/lib/docker\n'));
  assert.equal(good.daemon, { version: '24.0.7', rootDir: '/var/lib/docker' });
  assert.is(good.result.status, 'ok');
  const denied = probe.daemon(H, 'deploy', out(1, '', 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info": dial unix /var/run/docker.sock: connect: permission denied\n'));
  assert.is(denied.daemon, undefined);
  assert.is(denied.result.detail, 'permission denied on the Docker socket for deploy');
  assert.match(denied.result.fix!, 'usermod -aG docker deploy');
  const hung = probe.daemon(H, 'root', out(124));
  assert.is(hung.result.detail, 'the Docker daemon did not answer within 15 s');
  const down = probe.daemon(H, 'root', out(1, '', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'));
  assert.is(down.result.detail, 'the Docker daemon is not running');
});

test('docker client missing: the fix differs on a server and locally', () => {
  assert.is(probe.dockerClient(H, out(0, 'Docker version 24.0.7, build afdd53b\n')).detail, 'Docker version 24.0.7, build afdd53b');
  assert.match(probe.dockerClient(H, out(127, '', 'docker: not found')).fix!, 'sextant server bootstrap');
  assert.match(probe.dockerClient('local', out(127)).fix!, 'install Docker');
});

test('disk: free space under the data root, failing under 1 GiB', () => {
  assert.is(render(probe.diskProbe('/var/lib/docker')), '/usr/bin/env df -Pk "/var/lib/docker"');
  const df = (kib: number) => out(0, `Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100000000 1000 ${kib} 1% /\n`);
  const plenty = probe.disk(H, '/var/lib/docker', df(20 * 1024 * 1024));
  assert.is(plenty.status, 'ok');
  assert.is(plenty.detail, '20 GiB free under /var/lib/docker');
  const little = probe.disk(H, '/var/lib/docker', df(512 * 1024));
  assert.is(little.status, 'fail');
  assert.is(little.detail, '512 MiB free under /var/lib/docker');
  assert.match(little.fix!, 'sextant prune all');
  assert.is(probe.disk(H, '/x', out(1, '', 'df: /x: No such file or directory')).status, 'fail');
});

test('registry login: a throwaway client config, removed in the same command; the password never shown', () => {
  const registry = { server: 'registry.example.com', username: { value: 'me' }, password: { secret: 'KAMAL_REGISTRY_PASSWORD' } } as const;
  const command = probe.registryLoginProbe(registry, () => 'pa$$word', '/tmp/sextant-check-0123');
  assert.is(
    render(command),
    'timeout 15 docker --config /tmp/sextant-check-0123 login registry.example.com -u "me" -p "pa\\$\\$word" 2>&1 ; rm -rf /tmp/sextant-check-0123'.replace(/^/, '/usr/bin/env '),
  );
  assert.not.match(renderForDisplay(command), 'pa$$word');
  assert.is(probe.registryLogin(H, registry, out(0, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nLogin Succeeded\n')).status, 'ok');
  const refused = probe.registryLogin(H, registry, out(0, 'Error response from daemon: Get "https://registry.example.com/v2/": unauthorized: authentication required\n'));
  assert.is(refused.status, 'fail');
  assert.match(refused.detail, 'registry.example.com refused the credentials');
  assert.match(refused.fix!, 'registry/username');
});

test('kamal-proxy: absent is fine (the deploy boots it), older than v0.9.0 fails, a non-version tag is not compared', () => {
  assert.is(probe.proxy(H, out(1, '', 'Error: No such object: kamal-proxy\n')).status, 'ok');
  const current = probe.proxy(H, out(0, 'basecamp/kamal-proxy:v0.9.0 running\n'));
  assert.is(current.status, 'ok');
  assert.is(current.detail, 'v0.9.0 ≥ v0.9.0');
  const old = probe.proxy(H, out(0, 'registry:5000/basecamp/kamal-proxy:v0.8.4 running\n'));
  assert.is(old.status, 'fail');
  assert.match(old.fix!, 'sextant proxy reboot');
  assert.match(probe.proxy(H, out(0, 'basecamp/kamal-proxy:latest exited\n')).detail, 'latest (not a version tag: not compared) (exited: the deploy starts it)');
});

test('deploy lock: held shows who and why; free names the lock directory', () => {
  const config = { runDirectory: '.kamal', serviceAndDestination: 'app' } as never;
  assert.is(render(probe.lockProbe(config)), '/usr/bin/env stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d');
  const held = probe.deployLock(H, config, out(0, 'Locked by: Ann at 2025-01-01T00:00:00Z\nVersion: abc\nMessage: migrating\n'));
  assert.is(held.status, 'fail');
  assert.is(held.detail, 'held: Locked by: Ann at 2025-01-01T00:00:00Z; Version: abc; Message: migrating');
  assert.match(held.fix!, 'sextant lock release');
  const free = probe.deployLock(H, config, out(1, '', "stat: cannot statx '.kamal/lock-app': No such file or directory\n"));
  assert.is(free.status, 'ok');
  assert.is(free.detail, 'free (.kamal/lock-app)');
});

test('clock: skew beyond 30 s (after the round trip and the whole-second reading) fails', () => {
  const at = 1_700_000_000_000;
  assert.is(probe.clock(H, out(0, `${at / 1000}\n`), at, at + 200).status, 'ok');
  const behind = probe.clock(H, out(0, `${at / 1000 - 90}\n`), at, at + 200);
  assert.is(behind.status, 'fail');
  assert.is(behind.detail, '90 s behind this machine');
  const ahead = probe.clock(H, out(0, `${at / 1000 + 20}\n`), at, at + 200);
  assert.is(ahead.status, 'ok');
  assert.is(ahead.detail, '20 s ahead of this machine');
  assert.is(probe.clock(H, out(0, 'Thu Jan  1\n'), at, at).status, 'fail');
});

test('lines: ✔/✖/– with the fix on the same line; the summary; JSON', () => {
  const results = [
    { host: 'local', check: 'hooks', status: 'ok' as const, detail: 'none' },
    probe.sshFailure(H, 'root', 22, 'connect ECONNREFUSED'),
    probe.skipped(H, 'docker', 'no SSH connection'),
  ];
  assert.equal(results.map(checkLine), [
    '✔ [local] hooks: none',
    `✖ [${H}] ssh: connection refused on port 22 — try: start sshd on ${H}, or set ssh/port to the port it listens on`,
    `– [${H}] docker: not checked: no SSH connection`,
  ]);
  assert.is(summaryLine(results), '✖ 1 of 3 checks failed: a deploy would fail until they are fixed');
  assert.is(summaryLine(results.slice(0, 1)), '✔ all 1 checks passed: nothing here would stop a deploy');
  const json = JSON.parse(checkJson(results));
  assert.is(json.ok, false);
  assert.is(json.checks.length, 3);
  assert.is(json.checks[1].fix, `start sshd on ${H}, or set ssh/port to the port it listens on`);
});

test('local: a hook that is not executable and an undefined secret each fail with the fix; samples are ignored', async () => {
  const p = tempProject({
    'config/deploy.yml': 'service: app\nimage: me/app\nservers:\n  - 10.0.0.2\nregistry:\n  username: me\n  password:\n    - KAMAL_REGISTRY_PASSWORD\nenv:\n  secret:\n    - DB_URL\nbuilder:\n  arch: amd64\n',
  });
  try {
    mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
    writeFileSync(join(p.dir, '.kamal/hooks/pre-deploy'), '#!/bin/sh\n');
    writeFileSync(join(p.dir, '.kamal/hooks/post-deploy'), '#!/bin/sh\n');
    chmodSync(join(p.dir, '.kamal/hooks/post-deploy'), 0o755);
    writeFileSync(join(p.dir, '.kamal/hooks/pre-build.sample'), '#!/bin/sh\n');
    const config = loadConfig({ cwd: p.dir });
    const secrets = createSecrets(new Map([['KAMAL_REGISTRY_PASSWORD', 'pw']]), ['.kamal/secrets']);
    const { results } = await localChecks({ config, selection: selectHosts(config), cwd: p.dir, env: { PATH: process.env.PATH }, secrets: async () => secrets });
    const lines = results.filter((r) => r.check === 'hooks' || r.check === 'secrets').map(checkLine);
    assert.equal(lines, [
      "✖ [local] secrets: 'DB_URL' (env/secret/0) is not defined in .kamal/secrets — try: add DB_URL=… to .kamal/secrets (from the environment or a password manager: see the comments in it)",
      '✖ [local] hooks: .kamal/hooks/pre-deploy is not executable — try: chmod +x .kamal/hooks/pre-deploy',
    ]);

    chmodSync(join(p.dir, '.kamal/hooks/pre-deploy'), 0o755);
    const all = createSecrets(new Map([['KAMAL_REGISTRY_PASSWORD', 'pw'], ['DB_URL', 'x']]), ['.kamal/secrets']);
    const again = await localChecks({ config, selection: selectHosts(config), cwd: p.dir, env: { PATH: process.env.PATH }, secrets: async () => all });
    assert.equal(again.results.filter((r) => r.check === 'hooks' || r.check === 'secrets').map(checkLine), [
      '✔ [local] secrets: KAMAL_REGISTRY_PASSWORD, DB_URL defined (.kamal/secrets)',
      '✔ [local] hooks: .kamal/hooks/post-deploy, .kamal/hooks/pre-deploy executable',
    ]);
  } finally {
    p.cleanup();
  }
});

test('local: a secrets file whose command fails is one ✖ line, not a crash', async () => {
  const p = tempProject({ 'config/deploy.yml': 'service: app\nimage: me/app\nservers:\n  - 10.0.0.2\nregistry:\n  username: me\n  password: pw\nbuilder:\n  arch: amd64\n' });
  try {
    const config = loadConfig({ cwd: p.dir });
    const { results, secrets } = await localChecks({
      config,
      selection: selectHosts(config),
      cwd: p.dir,
      env: { PATH: process.env.PATH },
      secrets: async () => {
        throw new Error(".kamal/secrets: command 'op read x' failed (exit 1)");
      },
    });
    assert.is(secrets, undefined);
    const line = results.find((r) => r.check === 'secrets')!;
    assert.is(line.status, 'fail');
    assert.is(line.detail, ".kamal/secrets: command 'op read x' failed (exit 1)");
  } finally {
    p.cleanup();
  }
});

test.run();
