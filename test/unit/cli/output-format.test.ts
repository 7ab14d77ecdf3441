// `--output` on `build push` and `build dev` is Kamal's (cli/build.rb: buildx's export type,
// default registry, and docker for dev);
// Sextant's event format is `--format text|json`, with `--output json|text` still read as it
// everywhere that --output is not Kamal's. Real local runs against a fake `docker` that logs its
// arguments.
import { readFileSync } from 'node:fs';
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

const FAKE_DOCKER = `#!/bin/sh
case "$1" in info) echo amd64; exit 0;; esac
echo "$*" >> '$MARKS/docker-calls'
exit 0
`;

async function run(argv: string[]) {
  const p = markedProject({
    files: { 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-e2f4\n' },
    hooks: [],
    docker: FAKE_DOCKER,
    version: '999',
  });
  try {
    const io = captureIO(p.dir, p.env);
    const code = await runCli(argv, io);
    let calls: string[] = [];
    try {
      calls = readFileSync(join(p.marks, 'docker-calls'), 'utf8').trim().split('\n');
    } catch {
      // docker was never called
    }
    const builds = calls.filter((call) => call.startsWith('buildx build '));
    const jsonLines = io.stdout.split('\n').filter(Boolean).every((line) => line.startsWith('{') && Boolean(JSON.parse(line)));
    return { code, stdout: io.stdout, stderr: io.stderr, builds, json: jsonLines && io.stdout.trim() !== '' };
  } finally {
    p.cleanup();
  }
}

test('build push --output is the buildx export type, registry by default', async () => {
  const byDefault = await run(['build', 'push']);
  assert.is(byDefault.code, 0, byDefault.stderr);
  assert.is(byDefault.builds.length, 1);
  assert.ok(byDefault.builds[0]?.startsWith('buildx build --output=type=registry --platform linux/amd64 '), byDefault.builds[0]);

  for (const flags of [['--output', 'docker'], ['--output=docker']]) {
    const docker = await run(['build', 'push', ...flags]);
    assert.is(docker.code, 0, docker.stderr);
    assert.ok(docker.builds[0]?.startsWith('buildx build --output=type=docker --platform linux/amd64 '), docker.builds[0]);
    assert.ok(docker.builds[0]?.includes(' -t dhh/app:999 -t dhh/app:latest '), 'tags are not -dirty');
    assert.not.ok(docker.json, 'events stay text');
    assert.match(docker.stdout, '[local] $ docker buildx build --output=type=docker ');
  }

  // `json` here is an export type for buildx, as Kamal would pass it, not an event format.
  const exportJson = await run(['build', 'push', '--output', 'json']);
  assert.ok(exportJson.builds[0]?.startsWith('buildx build --output=type=json '), exportJson.builds[0]);
  assert.not.ok(exportJson.json, 'events stay text');
});

test('build push --format json with --output docker: JSON events, docker export', async () => {
  const result = await run(['build', 'push', '--output', 'docker', '--format', 'json']);
  assert.is(result.code, 0, result.stderr);
  assert.ok(result.json, result.stdout);
  assert.ok(result.builds[0]?.startsWith('buildx build --output=type=docker '), result.builds[0]);
  const starts = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; line?: string }).filter((e) => e.type === 'command.start');
  assert.ok(starts.some((e) => e.line?.startsWith('docker buildx build --output=type=docker ')), result.stdout);
});

test('deploy and build deliver build for the registry', async () => {
  const plan = await run(['deploy', '--dry-run']);
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, '[local] docker buildx build --output=type=registry ');
  const deliver = await run(['build', 'deliver', '--dry-run']);
  assert.match(deliver.stdout, '[local] docker buildx build --output=type=registry ');
});

test('--format json, and the old --output json where --output is not Kamal\'s', async () => {
  for (const flags of [['--format', 'json'], ['--format=json'], ['--output', 'json'], ['--output=json']]) {
    const result = await run(['build', 'create', ...flags]);
    assert.is(result.code, 0, `${flags.join(' ')}: ${result.stderr}`);
    assert.ok(result.json, `${flags.join(' ')}: ${result.stdout}`);
  }
  for (const flags of [[], ['--format', 'text'], ['--output', 'text']]) {
    const result = await run(['build', 'create', ...flags]);
    assert.is(result.code, 0, result.stderr);
    assert.not.ok(result.json, `${flags.join(' ')}: text`);
    assert.match(result.stdout, '[local] $ docker buildx create --name kamal-local-docker-container --driver=docker-container');
  }
});

test('only text and json are formats', async () => {
  for (const flags of [['--format', 'yaml'], ['--output', 'yaml']]) {
    const result = await run(['build', 'create', ...flags]);
    assert.is(result.code, 1);
    assert.match(result.stderr, "argument 'yaml' is invalid. Allowed choices are text, json.");
  }
});

test('help: --format everywhere, --output only where it is Kamal\'s', async () => {
  const push = await run(['build', 'push', '--help']);
  assert.match(push.stdout, /--output <export_type>\s+Export type for the build result/);
  assert.match(push.stdout, /\(default:\s+"registry"\)/);
  assert.match(push.stdout, /--format <format>\s+Output format/);
  const dev = await run(['build', 'dev', '--help']);
  assert.match(dev.stdout, /--output <export_type>[\s\S]*\(default:\s+"docker"\)/);
  const details = await run(['app', 'details', '--help']);
  assert.match(details.stdout, /--format <format>\s+Output format/);
  assert.not.match(details.stdout, '--output');
});

test.run();
