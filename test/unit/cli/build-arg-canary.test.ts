// Build argument values are marked sensitive, as Kamal's builder does (`--build-arg KEY=[REDACTED]`
// in its log): no output, event or run file shows them, while the command sent to docker keeps
// them. The local `docker` is a fake that logs the arguments it got; the servers (for the deploy)
// are the dry run's simulated ones, but the run is a real one: renderers attached, run record kept.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attachJsonRenderer, attachPlainRenderer } from '../../../src/cli/render/plain.ts';
import { attachTtyRenderer } from '../../../src/cli/render/tty.ts';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { stepHandlers } from '../../../src/engine/handlers.ts';
import { deployPlan } from '../../../src/engine/plan.ts';
import { runDeployment } from '../../../src/engine/run.ts';
import { openSession } from '../../../src/engine/session.ts';
import { RecordingTransport, SimulatedServers } from '../../../src/remote/recording.ts';
import { createSecrets } from '../../../src/secrets/index.ts';
import { markedProject } from './marked-project.ts';

const CANARY = 'canary-build-arg-8c31';
const CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1, 1.1.1.2]
registry: { username: dhh, password: [KAMAL_REGISTRY_PASSWORD] }
builder:
  arch: amd64
  args:
    APP_VERSION: ${CANARY}
    RUBY_VERSION: "3.3"
`;

// Logs every call's arguments, one per line, then succeeds (`docker info` answers the arch).
const FAKE_DOCKER = `#!/bin/sh
case "$1" in info) echo amd64; exit 0;; esac
for arg in "$@"; do printf '%s\\n' "$arg"; done >> '$MARKS/docker-args'
echo "fake-docker: $1"
exit 0
`;

function project() {
  return markedProject({
    files: { 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-0b7e\n' },
    hooks: [],
    docker: FAKE_DOCKER,
    version: '999',
  });
}

const REDACTED_ARGS = '--build-arg APP_VERSION=[REDACTED] --build-arg RUBY_VERSION=[REDACTED]';

test('build push: text, -v, --format json and the dry run', async () => {
  const runs: Array<[string, string[], (out: string) => void]> = [
    ['text', ['build', 'push'], (out) => assert.match(out, `[local] $ docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999 -t dhh/app:latest --label service="app" ${REDACTED_ARGS} --file Dockerfile . 2>&1`)],
    ['verbose', ['build', 'push', '-v'], (out) => assert.match(out, REDACTED_ARGS)],
    ['json', ['build', 'push', '--format', 'json'], (out) => {
      const lines = out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; line?: string });
      assert.ok(lines.some((event) => event.type === 'command.start' && event.line?.includes(REDACTED_ARGS)), out);
    }],
    ['dry run', ['build', 'push', '--dry-run'], (out) => assert.match(out, `[local] docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999 -t dhh/app:latest --label service="app" ${REDACTED_ARGS}`)],
  ];
  for (const [name, argv, check] of runs) {
    const p = project();
    try {
      const io = captureIO(p.dir, p.env);
      assert.is(await runCli(argv, io), 0, `${name}: ${io.stderr}`);
      assert.not.match(io.stdout + io.stderr, CANARY, `${name}: the build arg value is not shown`);
      assert.not.match(io.stdout + io.stderr, 'CANARY', `${name}: no secret shown`);
      check(io.stdout);
      if (name !== 'dry run') {
        // What docker got: the values, as Kamal sends them.
        const sent = readFileSync(join(p.marks, 'docker-args'), 'utf8').split('\n');
        assert.ok(sent.includes(`APP_VERSION=${CANARY}`), `${name}: sent ${sent.join(' ')}`);
        assert.ok(sent.includes('RUBY_VERSION=3.3'), `${name}: sent ${sent.join(' ')}`);
      }
    } finally {
      p.cleanup();
    }
  }
});

function fakeTerminal() {
  const chunks: string[] = [];
  const stream = { isTTY: true, columns: 400, rows: 60, write: (chunk: string) => chunks.push(chunk) > 0, on: () => stream, once: () => stream, off: () => stream, removeListener: () => stream };
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

test('a deploy: no renderer, event or run file holds the build arg value', async () => {
  const p = project();
  try {
    const config = loadConfig({ cwd: p.dir, configFile: 'config/deploy.yml', env: {} });
    const servers = new SimulatedServers();
    const transports = new Map<string, RecordingTransport>();
    const session = openSession({
      config,
      selection: selectHosts(config),
      secrets: createSecrets(new Map([['KAMAL_REGISTRY_PASSWORD', 'CANARY-pw-0b7e']]), ['.kamal/secrets']),
      version: () => '999',
      command: 'deploy',
      cwd: p.dir,
      env: p.env,
      skipHooks: true,
      dryRun: false,
      transports: (host) => transports.get(host) ?? transports.set(host, new RecordingTransport(host, servers)).get(host)!,
    });
    const json: string[] = [];
    const plain: string[] = [];
    const verbose: string[] = [];
    const terminal = fakeTerminal();
    const detach = [
      attachJsonRenderer(session.bus, (line) => json.push(line)),
      attachPlainRenderer(session.bus, (line) => plain.push(line)),
      attachPlainRenderer(session.bus, (line) => verbose.push(line), { verbose: true }),
      attachTtyRenderer(session.bus, terminal.stream),
    ];
    try {
      const plan = deployPlan(config, session.env.selection, { runId: session.runId, command: 'deploy', version: '999', skipPush: false, lockInherited: false });
      session.store?.writePlan(plan);
      const output = await runDeployment({ plan, handlers: stepHandlers(session.env), bus: session.bus, store: session.store });
      assert.ok(output.ok, JSON.stringify(output.failures));
    } finally {
      for (const stop of detach) stop();
      await session.close();
    }

    // The build ran, with the values on docker's command line.
    const sent = readFileSync(join(p.marks, 'docker-args'), 'utf8').split('\n');
    assert.ok(sent.includes(`APP_VERSION=${CANARY}`), sent.join(' '));

    const outputs = { json: json.join('\n'), plain: plain.join('\n'), verbose: verbose.join('\n'), tty: terminal.text() };
    assert.match(outputs.json, REDACTED_ARGS);
    assert.match(outputs.plain, REDACTED_ARGS);
    for (const [name, text] of Object.entries(outputs)) assert.not.match(text, CANARY, `${name} renderer`);

    assert.ok(session.store, 'a real run keeps a run record');
    const files = readdirSync(session.store.dir).sort();
    // snapshot.json and a part per group of hosts (run-store.ts)
    assert.equal(files, ['events.jsonl', 'plan.json', 'snapshot.hosts-1.json', 'snapshot.json']);
    const events = readFileSync(join(session.store.dir, 'events.jsonl'), 'utf8');
    assert.match(events, REDACTED_ARGS.replaceAll('"', '\\"'));
    for (const file of files) {
      const text = readFileSync(join(session.store.dir, file), 'utf8');
      assert.not.match(text, CANARY, `.kamal/runs/<id>/${file}`);
      assert.not.match(text, 'CANARY', `.kamal/runs/<id>/${file}: no secret`);
    }
  } finally {
    p.cleanup();
  }
});

test.run();
