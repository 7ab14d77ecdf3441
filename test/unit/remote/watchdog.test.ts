// The watchdog: which deadline each command gets, how a remote command is put under `timeout`, a
// local command killed at its deadline, and the x-sextant keys that set deadlines, the give-up
// time and the fleet policy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argv, docker, pipe, redirect, shellCode, type Command } from '../../../src/commands/command.ts';
import { render } from '../../../src/commands/shell.ts';
import { HostDown, isUnreachable, RemoteError } from '../../../src/remote/failures.ts';
import { LocalTransport } from '../../../src/remote/local.ts';
import { underTimeout } from '../../../src/remote/ssh.ts';
import { DEFAULT_DEADLINES, deadlineKind, StepTimedOut, timeoutKind } from '../../../src/remote/watchdog.ts';
import { loadConfig } from '../config/load-imports.ts';
import { tempProject } from '../config/temp-project.ts';

const kindOf = (command: Command, where: 'remote' | 'local' = 'remote', hook = false) => deadlineKind(command, render(command), where, hook);

test('each command gets the deadline of its kind', () => {
  assert.is(kindOf(docker('pull', 'registry/app:v2')), 'pull');
  assert.is(kindOf(docker('image', 'pull', 'registry/app:v2')), 'pull');
  assert.is(kindOf(docker('exec', 'kamal-proxy', 'kamal-proxy', 'deploy', 'app-web', '--target', 'abc:80')), 'proxyDeploy');
  assert.is(kindOf(docker('container', 'stop', '-t', 30, 'app-web-v1')), 'stop');
  assert.is(kindOf(pipe(docker('ps', '-q'), argv('xargs', 'docker', 'stop'))), 'stop');
  assert.is(kindOf(docker('run', '--detach', '--name', 'app-web-v2', 'img', shellCode('bin/jobs --queue a'))), 'command');
  assert.is(kindOf(docker('ps', '-a')), 'command');
  assert.is(kindOf(docker('ps', '-a'), 'local'), 'local');
  assert.is(kindOf(docker('buildx', 'build', '--push', '.'), 'local'), 'build');
  assert.is(kindOf(argv('.kamal/hooks/pre-deploy'), 'local', true), 'hook');
  // The operator's own code and followed logs run as long as they need.
  assert.is(kindOf(docker('run', '--rm', 'img', shellCode('bin/rails db:migrate'))), 'unbounded');
  assert.is(kindOf(docker('exec', 'app-web-v2', shellCode('bin/rails console'))), 'unbounded');
  assert.is(kindOf(redirect(docker('logs', 'app-web', '--tail', '10', '--follow'), '2>&1')), 'unbounded');
  assert.is(kindOf(docker('logs', 'app-web', '--tail', '10')), 'command');
});

test('a remote timeout is transient (retried), a local one permanent', () => {
  for (const kind of ['command', 'pull', 'proxyDeploy', 'stop'] as const) assert.is(timeoutKind(kind), 'transient', kind);
  for (const kind of ['build', 'hook', 'local'] as const) assert.is(timeoutKind(kind), 'permanent', kind);
  assert.is(new StepTimedOut('h', 'docker ps', 'command', 3).kind, 'transient');
});

test('a remote command runs under timeout, its line quoted once for sh -c', () => {
  assert.is(render(underTimeout(pipe(docker('ps', '-q'), argv('xargs', 'docker', 'stop')), 12.2)), "/usr/bin/env timeout -k 5 13 sh -c 'docker ps -q | xargs docker stop'");
});

test('host down: only connection-level unreachable errors count, and a declared-down host is permanent', () => {
  assert.ok(isUnreachable(new RemoteError('refused', 'transient', 'h', 'ECONNREFUSED')));
  assert.ok(isUnreachable(new RemoteError('reset', 'transient', 'h', 'ECONNRESET')));
  assert.not.ok(isUnreachable(new RemoteError('lost', 'transient', 'h')));
  assert.not.ok(isUnreachable(new RemoteError('auth', 'permanent', 'h', 'ECONNREFUSED')));
  assert.is(new HostDown('h', 5.2, 'refused').kind, 'permanent');
});

test('a local command past its deadline is killed with its whole process group and fails as timed out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-watchdog-'));
  try {
    const transport = new LocalTransport({ cwd: dir, env: { PATH: process.env.PATH }, deadlines: { ...DEFAULT_DEADLINES, local: 1 } });
    // The pipeline's child writes its pid, then sleeps far beyond the deadline.
    const error = await transport.exec(argv('sh', '-c', `sleep 120 & echo $! > ${dir}/pid; wait`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, StepTimedOut);
    assert.is((error as StepTimedOut).kind, 'permanent');
    const pid = readFileSync(join(dir, 'pid'), 'utf8').trim();
    // `kill -0` fails once the grandchild is gone (it may take the TERM a moment to land).
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        execFileSync('kill', ['-0', pid], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    assert.not.ok(alive, 'the sleeping grandchild was killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const BASE = 'service: app\nimage: app\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\nservers: [1.1.1.1]\n';

test('x-sextant: deadlines derived from deploy_timeout and drain_timeout unless set; down_after; fleet policy', () => {
  const project = tempProject({ 'config/deploy.yml': `${BASE}deploy_timeout: 20\ndrain_timeout: 10\n` });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    assert.equal(config.sextant.deadlines, { command: 30, pull: 200, proxyDeploy: 45, stop: 25, build: 3600, hook: 600, local: 30 });
    assert.is(config.sextant.retry.downAfter, 5);
    assert.equal(config.sextant.fleet, { maxFailures: { count: 0 }, onFailure: 'keep' });
  } finally {
    project.cleanup();
  }
  const custom = tempProject({
    'config/deploy.yml': `${BASE}x-sextant:\n  retry:\n    down_after: 2.5\n  deadlines:\n    command: 8\n    pull: 0\n  fleet:\n    max_failures: 34%\n    on_failure: revert\n`,
  });
  try {
    const config = loadConfig({ cwd: custom.dir, env: {} });
    assert.is(config.sextant.deadlines.command, 8);
    assert.is(config.sextant.deadlines.pull, 0);
    assert.is(config.sextant.retry.downAfter, 2.5);
    assert.equal(config.sextant.fleet, { maxFailures: { percent: 0.34 }, onFailure: 'revert' });
  } finally {
    custom.cleanup();
  }
});

test('x-sextant: a bad fleet policy names the key and what it expects', () => {
  const project = tempProject({ 'config/deploy.yml': `${BASE}x-sextant:\n  fleet:\n    on_failure: rollback\n` });
  try {
    assert.throws(() => loadConfig({ cwd: project.dir, env: {} }), /x-sextant.*fleet.*on_failure|on_failure/);
  } finally {
    project.cleanup();
  }
});

test.run();
