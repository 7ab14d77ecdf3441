// `sextant deploy --inspect ws://127.0.0.1:<port>` to the testbed, with a WebSocket server started
// here playing the Stately inspector's local endpoint: it receives the inspection events of the
// deployment actor, every host actor and every role-swap actor, with state values that follow the
// flow, and no secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from 'ws';
import { leakedSecrets } from '../../unit/secrets/canary.ts';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { BUILD_ARG_CANARY, CANARIES, makeProject, removeApp, sextant } from './project.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const project = makeProject(testbed, { service: 'iinspect', servers, withHooks: true });
const secrets = [...Object.values({ ...CANARIES, KAMAL_REGISTRY_PASSWORD: testbed.registry.password }), BUILD_ARG_CANARY];

interface Received {
  type: string;
  sessionId: string;
  name?: string;
  parentId?: string;
  snapshot?: { value?: unknown };
}

function named(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return key === 'locked' ? named(inner) : key;
}

const dedupe = (items: string[]) => items.filter((item, i) => item !== items[i - 1]);

test.before(async () => {
  await removeApp(project, servers, serverShell);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

test('deploy --inspect URL: the deployment, every host and every role swap are seen, following the flow, without secrets', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  const messages: string[] = [];
  let connections = 0;
  const closed = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      connections++;
      socket.on('message', (data) => messages.push(data.toString()));
      socket.on('close', () => resolve());
    });
  });
  try {
    const result = await sextant(project, ['deploy', '--version', 'v1', '--inspect', `ws://127.0.0.1:${port}`]);
    assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
    assert.is(connections, 1, `the CLI connected to the inspector once:\n${result.stdout.slice(-2000)}`);
    await closed;

    const events = messages.map((m) => JSON.parse(m) as Received);
    const actors = events.filter((e) => e.type === '@xstate.actor');
    const deploy = actors.find((a) => a.name === 'deploy');
    assert.ok(deploy, 'the deployment actor');
    // The hosts sit in groups of up to 32 under the deployment (machines/host-group.ts).
    const group = actors.find((a) => a.name === 'hosts 1' && a.parentId === deploy.sessionId);
    assert.ok(group, 'the group of hosts');
    const hosts = servers.map((ip) => {
      const host = actors.find((a) => a.name === ip && a.parentId === group.sessionId);
      assert.ok(host, `host ${ip}`);
      return host;
    });
    const swaps = actors.filter((a) => (a.name === 'web' || a.name === 'workers') && hosts.some((h) => h.sessionId === a.parentId));
    assert.equal(
      swaps.map((s) => `${hosts.find((h) => h.sessionId === s.parentId)?.name} ${s.name}`).sort(),
      servers.flatMap((ip) => [`${ip} web`, `${ip} workers`]).sort(),
    );

    const values = (actor: Received) =>
      dedupe(events.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === actor.sessionId).map((e) => named(e.snapshot?.value)));
    assert.equal(values(deploy), [
      'build', 'preConnect', 'pull', 'prepare', 'lock', 'preDeploy', 'network', 'proxy', 'stopStale', 'assets', 'boot', 'tagLatest', 'prune', 'unlock', 'postDeploy', 'succeeded',
    ]);
    for (const host of hosts) {
      const seen = values(host);
      assert.ok(seen.includes('stage') && seen.includes('boot') && seen.at(-1) === 'idle', `${host.name}: ${seen.join(' ')}`);
    }
    for (const swap of swaps) {
      assert.equal(values(swap).filter((v) => v !== 'awaitBarrier'), ['renameClash', 'start', 'health', 'stopOld', 'done'], `${swap.name}`);
    }
    assert.equal(leakedSecrets(messages.join('\n'), secrets), [], 'no secret reached the inspector');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test.run();
