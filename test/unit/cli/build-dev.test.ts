// `build dev` (Kamal 2.6.0 cli/build.rb): the working directory built as it is, tags ending in
// -dirty, `--output` docker by default; a warning for uncommitted and untracked files that the
// build context holds. Real local runs against a fake `docker` that logs its arguments.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { markedProject } from './marked-project.ts';

const CONFIG = `service: app
image: dhh/app
servers: [1.1.1.1]
registry: { username: dhh, password: [KAMAL_REGISTRY_PASSWORD] }
builder: { arch: amd64 }
`;

// `docker run --rm kamal-local-build-check` lists the build context as the check image would.
const FAKE_DOCKER = `#!/bin/sh
case "$1" in info) echo amd64; exit 0;; esac
echo "$*" >> '$MARKS/docker-calls'
if [ "$1 $2 $3" = "run --rm kamal-local-build-check" ]; then printf 'Dockerfile\\nconfig/deploy.yml\\nnotes.txt\\napp.rb\\n'; fi
exit 0
`;

async function run(argv: string[], setup: (dir: string) => void = () => {}) {
  const p = markedProject({
    files: { 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-9d3a\n', 'app.rb': 'puts 1\n' },
    hooks: ['pre-build'],
    docker: FAKE_DOCKER,
    version: '999',
  });
  try {
    setup(p.dir);
    const io = captureIO(p.dir, p.env);
    const code = await runCli(argv, io);
    let calls: string[] = [];
    try {
      calls = readFileSync(join(p.marks, 'docker-calls'), 'utf8').trim().split('\n');
    } catch {
      // docker was never called
    }
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret shown');
    return { code, stdout: io.stdout, stderr: io.stderr, calls, hookRan: p.marked('pre-build') };
  } finally {
    p.cleanup();
  }
}

test('build dev: checks docker, lists the context, builds -dirty tags into the local store', async () => {
  const result = await run(['build', 'dev']);
  assert.is(result.code, 0, result.stderr);
  assert.is(result.calls.length, 5, result.calls.join('\n'));
  assert.is(result.calls[0], '--version');
  assert.is(result.calls[1], 'buildx version');
  assert.match(result.calls[2] as string, /^buildx build -t=kamal-local-build-check -f=\S+\/Dockerfile \.$/);
  assert.is(result.calls[3], 'run --rm kamal-local-build-check');
  assert.is(result.calls[4],
    'buildx build --output=type=docker --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999-dirty -t dhh/app:latest-dirty --label service=app --file Dockerfile .');
  assert.not.ok(result.calls.some((call) => call.startsWith('login')), 'no registry login');
  assert.not.ok(result.hookRan, 'no pre-build hook');
  assert.not.match(result.stdout, 'WARNING', 'outside git: nothing to warn about');
});

test('build dev --output registry', async () => {
  const result = await run(['build', 'dev', '--output', 'registry']);
  assert.is(result.code, 0, result.stderr);
  assert.ok(result.calls.at(-1)?.startsWith('buildx build --output=type=registry '), result.calls.at(-1));
  assert.match(result.calls.at(-1) as string, ' -t dhh/app:999-dirty -t dhh/app:latest-dirty ');
});

test('build dev warns about uncommitted and untracked files in the build context', async () => {
  const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, stdio: 'ignore' });
  const result = await run(['build', 'dev'], (dir) => {
    git(dir, 'init', '-q');
    git(dir, 'add', 'Dockerfile', 'config/deploy.yml', 'app.rb');
    git(dir, 'commit', '-q', '-m', 'init');
    writeFileSync(join(dir, 'app.rb'), 'puts 2\n');
    writeFileSync(join(dir, 'notes.txt'), 'wip\n');
    writeFileSync(join(dir, 'outside-context.txt'), 'not listed by the check image\n');
  });
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, 'WARNING: Files with uncommitted changes will be present in the dev container:\n  app.rb\n');
  assert.match(result.stdout, 'WARNING: Untracked files will be present in the dev container:\n  notes.txt\n');
  assert.not.match(result.stdout, 'outside-context.txt');
});

test('build dev --dry-run shows the plan and touches nothing', async () => {
  const result = await run(['build', 'dev', '--dry-run']);
  assert.is(result.code, 0, result.stderr);
  assert.equal(result.calls, [], 'docker was not called');
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('['));
  assert.is(lines.length, 4, lines.join('\n'));
  assert.is(lines[0], '[local] docker --version && docker buildx version');
  assert.match(lines[1] as string, /^\[local\] docker buildx build -t=kamal-local-build-check -f=\S+ \.$/);
  assert.is(lines[2], '[local] docker run --rm kamal-local-build-check');
  assert.is(lines[3], '[local] docker buildx build --output=type=docker --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999-dirty -t dhh/app:latest-dirty --label service="app" --file Dockerfile . 2>&1');
});

test.run();
