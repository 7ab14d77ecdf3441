// Every fault control takes effect when it returns, and its inverse undoes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { faults, testbedStatus } from '../../testbed/index.ts';
import { bootExample, buildAndPushExample, connectSsh, httpGet, onServer, sshExec, testbedOrExit } from './helpers.ts';

const tb = await testbedOrExit({ servers: 3 });
const [srv1, srv2, srv3] = tb.servers;
if (!srv1 || !srv2 || !srv3) throw new Error('the testbed should have three servers');

/** How an SSH connection attempt ends within `timeoutMs`: 'ok', 'refused', 'timeout' or another error code. */
async function sshAttempt(server = srv2!, timeoutMs = 1500): Promise<string> {
  try {
    const client = await connectSsh(tb, server, { readyTimeout: timeoutMs });
    client.end();
    return 'ok';
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { level?: string };
    if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET') return 'refused';
    if (/timed out/i.test(e.message)) return 'timeout';
    return e.code ?? e.message;
  }
}

async function roundTripMs(client: Client): Promise<number> {
  const start = performance.now();
  const r = await sshExec(client, 'true');
  assert.is(r.code, 0);
  return performance.now() - start;
}

/** A docker API call over SSH that must finish within `ms`; false if it hangs. */
async function dockerAnswersWithin(ms: number, server = srv2!): Promise<boolean> {
  const r = await onServer(tb, server, `timeout ${ms / 1000} docker version --format '{{.Server.Version}}'`, ms + 5000);
  return r.code === 0;
}

test.after(async () => {
  // Leave the servers as found even when an assertion failed halfway.
  for (const s of tb.servers) await faults.clearAll(s);
});

test('stopSshd refuses new SSH connections; startSshd brings them back', async () => {
  assert.is(await sshAttempt(), 'ok');
  await faults.stopSshd(srv2);
  assert.is(await sshAttempt(), 'refused');
  await faults.startSshd(srv2);
  assert.is(await sshAttempt(), 'ok');
});

test('stopSshd leaves open sessions alive', async () => {
  const client = await connectSsh(tb, srv2);
  try {
    await faults.stopSshd(srv2);
    const r = await sshExec(client, 'echo still-here');
    assert.is(r.stdout.trim(), 'still-here');
  } finally {
    client.end();
    await faults.startSshd(srv2);
  }
});

test('cutLink makes the server unreachable and stalls open sessions; restoreLink heals both', async () => {
  const client = await connectSsh(tb, srv2);
  try {
    await faults.cutLink(srv2);
    assert.is(await sshAttempt(), 'timeout');
    const stalled = await Promise.race([sshExec(client, 'echo through').then(() => 'answered'), new Promise((r) => setTimeout(() => r('stalled'), 1000))]);
    assert.is(stalled, 'stalled');
    await faults.restoreLink(srv2);
    assert.is(await sshAttempt(), 'ok');
    const r = await sshExec(client, 'echo healed', 10_000);
    assert.is(r.stdout.trim(), 'healed');
    // the other servers were never affected
    assert.is(await sshAttempt(srv1), 'ok');
  } finally {
    client.end();
  }
});

test('dropSsh silently drops SSH packets; clearSshFilters lifts it', async () => {
  await faults.dropSsh(srv2);
  assert.is(await sshAttempt(), 'timeout');
  const other = await httpGet(`http://${srv2.ip}:9/`, 1000).then(
    () => 'open',
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
  assert.is(other, 'ECONNREFUSED', 'only port 22 is filtered');
  await faults.clearSshFilters(srv2);
  assert.is(await sshAttempt(), 'ok');
});

test('resetSsh answers SSH with resets and kills open sessions; clearSshFilters lifts it', async () => {
  const client = await connectSsh(tb, srv2);
  const closed = new Promise<string>((resolve) => {
    client.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    client.on('close', () => resolve('closed'));
  });
  await faults.resetSsh(srv2);
  assert.is(await sshAttempt(), 'refused');
  client.exec('echo x', () => undefined);
  assert.ok(['ECONNRESET', 'closed'].includes(await closed), 'the open session is reset');
  await faults.clearSshFilters(srv2);
  assert.is(await sshAttempt(), 'ok');
});

test('addSshLatency delays new SSH connections by the given time each way; removeSshLatency undoes it', async () => {
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  };
  const baseline = await step('connect before the fault', () => connectSsh(tb, srv2));
  const fast = await step('round trip before the fault', () => roundTripMs(baseline));
  await faults.addSshLatency(srv2, 150);
  const slowClient = await step('connect through the delay', () => connectSsh(tb, srv2));
  try {
    const slow = await step('round trip through the delay', () => roundTripMs(slowClient));
    assert.ok(slow >= 300, `a round trip takes at least 2 × 150 ms with latency (took ${slow.toFixed(0)} ms, ${fast.toFixed(0)} ms without)`);
    const old = await step('round trip on the connection opened before', () => roundTripMs(baseline));
    assert.ok(old < 300, `the connection opened before the fault is not delayed (took ${old.toFixed(0)} ms)`);
    await faults.removeSshLatency(srv2);
    const again = await step('connect after removal', () => connectSsh(tb, srv2));
    const after = await step('round trip after removal', () => roundTripMs(again));
    again.end();
    assert.ok(after < 300, `no delay after removeSshLatency (took ${after.toFixed(0)} ms)`);
    const r = await step('the delayed connection after removal', () => sshExec(slowClient, 'echo alive'));
    assert.is(r.stdout.trim(), 'alive');
  } finally {
    slowClient.end();
    baseline.end();
  }
  const status = await testbedStatus();
  assert.is(status.servers.find((s) => s.name === srv2.name)?.faultRules, 0);
});

test('freezeDocker makes the docker daemon hang; thawDocker resumes it', async () => {
  assert.ok(await dockerAnswersWithin(5000));
  await faults.freezeDocker(srv2);
  assert.not.ok(await dockerAnswersWithin(1000), 'docker should hang while dockerd is stopped');
  assert.ok(await dockerAnswersWithin(5000, srv1), 'other servers are not frozen');
  await faults.thawDocker(srv2);
  assert.ok(await dockerAnswersWithin(5000));
});

test('failHealthcheck makes the example app\'s /up fail (500) on that server only; restoreHealthcheck undoes it', async () => {
  const dockerConfig = mkdtempSync(join(tmpdir(), 'sextant-testbed-docker-'));
  try {
    const version = `f${Date.now().toString(36)}`;
    await buildAndPushExample(tb, version, dockerConfig);
    await Promise.all(tb.servers.map((s) => bootExample(tb, s, version)));
  } finally {
    rmSync(dockerConfig, { recursive: true, force: true });
  }
  for (const s of tb.servers) assert.is((await httpGet(`http://${s.ip}/up`)).status, 200);
  await faults.failHealthcheck(srv3);
  assert.is((await httpGet(`http://${srv3.ip}/up`)).status, 500);
  assert.is((await httpGet(`http://${srv1.ip}/up`)).status, 200);
  assert.is((await httpGet(`http://${srv2.ip}/up`)).status, 200);
  // kamal-proxy refuses to deploy a target whose health check fails
  const deploy = await onServer(
    tb,
    srv3,
    `docker exec kamal-proxy kamal-proxy deploy hello-web --target="$(docker ps --latest --quiet --filter label=service=hello):80" --deploy-timeout="3s" --drain-timeout="1s"`,
  );
  assert.is.not(deploy.code, 0);
  assert.match(deploy.stdout + deploy.stderr, /target failed to become healthy/);
  await faults.restoreHealthcheck(srv3);
  assert.is((await httpGet(`http://${srv3.ip}/up`)).status, 200);
});

test('faults name servers by name, address or object, and reject unknown ones', async () => {
  await faults.failHealthcheck(srv1.ip);
  await faults.restoreHealthcheck(srv1.name);
  await faults.restoreHealthcheck(srv1);
  try {
    await faults.cutLink('srv99');
    assert.unreachable('cutLink on an unknown server should throw');
  } catch (err) {
    assert.match((err as Error).message, /no testbed server "srv99"/);
  }
});

test.run();
