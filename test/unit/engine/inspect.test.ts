// `--inspect`: a deployment (here a dry run: the real CLI, engine and machines, nothing contacted)
// streams its actors' inspection events to a WebSocket endpoint, as @statelyai/inspect's WebSocket
// inspector does. A server started by the test plays the inspector's local endpoint.
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from 'ws';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { sanitize } from '../../../src/engine/inspector.ts';
import { tempProject } from '../config/temp-project.ts';
import { leakedSecrets } from '../secrets/canary.ts';

const CANARIES = ['SEXTANT-CANARY-REGISTRY-PW-91c2', 'SEXTANT-CANARY-APP-SECRET-3f7a'];

const DEPLOY_YML = `service: shop
image: acme/shop
servers:
  web: [10.0.0.1, 10.0.0.2]
  workers:
    hosts: [10.0.0.2]
    cmd: bin/jobs
env:
  secret: [APP_SECRET]
registry:
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
`;

function project() {
  return tempProject({
    'config/deploy.yml': DEPLOY_YML,
    '.kamal/secrets': `KAMAL_REGISTRY_PASSWORD=${CANARIES[0]}\nAPP_SECRET=${CANARIES[1]}\n`,
    Dockerfile: 'FROM scratch\n',
  });
}

interface Received {
  type: string;
  sessionId: string;
  name?: string;
  parentId?: string;
  snapshot?: { value?: unknown; context?: Record<string, unknown> };
}

// A WebSocket endpoint that keeps every message; `done` resolves when the client has closed.
async function endpoint(): Promise<{ url: string; messages: string[]; connections: () => number; done: Promise<void>; stop: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const messages: string[] = [];
  let connections = 0;
  const done = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      connections++;
      socket.on('message', (data) => messages.push(data.toString()));
      socket.on('close', () => resolve());
    });
  });
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, messages, connections: () => connections, done, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

// What the test reads of a value: the stage or step it names (the top level, or the stage inside
// `locked`), without the transient check/running detail.
function named(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return key === 'locked' ? named(inner) : key;
}

const dedupe = (items: string[]) => items.filter((item, i) => item !== items[i - 1]);

test('deploy --inspect URL: the deployment, every host and every role swap stream states that follow the flow, and no secret', async () => {
  const p = project();
  const inspector = await endpoint();
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    const code = await runCli(['deploy', '--version', 'v9', '--dry-run', '--inspect', inspector.url], io);
    assert.is(code, 0, io.stderr);
    assert.is(inspector.connections(), 1, 'the CLI connected once');
    await inspector.done;

    const events = inspector.messages.map((m) => JSON.parse(m) as Received);
    assert.ok(events.every((e) => ['@xstate.actor', '@xstate.snapshot', '@xstate.event'].includes(e.type)));
    const actors = events.filter((e) => e.type === '@xstate.actor');
    const byName = (name: string) => actors.filter((a) => a.name === name);
    const [deploy] = byName('deploy');
    assert.ok(deploy, 'the deployment actor');
    // The hosts sit in groups of up to 32 under the deployment (machines/host-group.ts).
    const groups = byName('hosts 1');
    assert.is(groups.length, 1, 'two hosts make one group');
    assert.is(groups[0]?.parentId, deploy.sessionId);
    const hosts = ['10.0.0.1', '10.0.0.2'].map((host) => {
      const [actor] = byName(host);
      assert.ok(actor, `host ${host}`);
      assert.is(actor.parentId, groups[0]?.sessionId);
      return actor;
    });
    const swaps = actors.filter((a) => a.name === 'web' || a.name === 'workers');
    assert.equal(
      swaps.map((s) => `${hosts.find((h) => h.sessionId === s.parentId)?.name} ${s.name}`).sort(),
      ['10.0.0.1 web', '10.0.0.2 web', '10.0.0.2 workers'],
      'one role-swap actor per role and host, named after its role',
    );

    const values = (actor: Received) => events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === actor.sessionId).map((e) => named(e.snapshot?.value));
    assert.equal(dedupe(values(deploy)), [
      'build', 'preConnect', 'pull', 'prepare', 'lock', 'preDeploy', 'network', 'proxy', 'stopStale', 'assets', 'boot', 'tagLatest', 'prune', 'unlock', 'postDeploy', 'succeeded',
    ]);
    for (const host of hosts) {
      const seen = dedupe(values(host));
      assert.ok(seen.includes('stage') && seen.includes('boot') && seen.at(-1) === 'idle', `${host.name}: ${seen.join(' ')}`);
    }
    for (const swap of swaps) {
      assert.equal(dedupe(values(swap)).filter((v) => v !== 'awaitBarrier'), ['renameClash', 'start', 'health', 'stopOld', 'done'], `${swap.name}`);
    }
    // The contexts are there, as plain data (the plan, a host's roles, a swap's role).
    const deploySnapshot = events.find((e) => e.type === '@xstate.snapshot' && e.sessionId === deploy.sessionId);
    assert.is((deploySnapshot?.snapshot?.context?.plan as { version: string }).version, 'v9');

    const text = inspector.messages.join('\n');
    assert.equal(leakedSecrets(text, CANARIES), [], 'no secret leaves for the inspector');
  } finally {
    await inspector.stop();
    p.cleanup();
  }
});

test('an inspector that cannot be reached costs a warning; the deploy goes on', async () => {
  const p = project();
  // A port nobody listens on.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    const code = await runCli(['deploy', '--version', 'v9', '--dry-run', '--inspect', `ws://127.0.0.1:${port}`], io);
    assert.is(code, 0, io.stderr);
    const said = io.stdout + io.stderr;
    assert.match(said, `The Stately inspector at ws://127.0.0.1:${port} could not be reached`);
    assert.match(said, 'the run goes on without it');
    assert.match(io.stdout, /docker run --detach .*--name shop-web-v9/);
  } finally {
    p.cleanup();
  }
});

test('--inspect takes a WebSocket URL; anything else is refused before anything runs', async () => {
  const p = project();
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    const code = await runCli(['deploy', '--inspect', 'localhost:8080', '--dry-run'], io);
    assert.is(code, 1);
    assert.match(io.stderr, "--inspect takes the inspector's WebSocket URL (ws://host:port or wss://…), got 'localhost:8080'");
    assert.not.match(io.stdout, '[10.0.0.1]');
  } finally {
    p.cleanup();
  }
});

test('every command that runs the machines takes --inspect', async () => {
  for (const argv of [['deploy'], ['redeploy'], ['setup'], ['rollback', 'v1'], ['app', 'boot']]) {
    const io = captureIO(process.cwd(), {});
    await runCli([...argv, '--help'], io);
    assert.match(io.stdout, '--inspect [url]', argv.join(' '));
  }
});

test('sanitize: plain data only, strings redacted, actors by id, errors by message', () => {
  class Client {
    socket = 'open';
  }
  const redact = (text: string) => text.replaceAll('hunter2', '[REDACTED]');
  const actor = { toJSON: () => ({ xstate$$type: 1, id: 'h1' }), send: () => {} };
  assert.equal(
    sanitize({ password: 'pw hunter2', client: new Client(), child: actor, error: new Error('login hunter2 failed'), run: () => 1, list: [1, 'hunter2', undefined] }, redact),
    { password: 'pw [REDACTED]', child: { xstate$$type: 1, id: 'h1' }, error: { message: 'login [REDACTED] failed' }, list: [1, '[REDACTED]', null] },
  );
});

test.run();
