// How fast a deploy gives up on a server that is gone, and that a short outage is still ridden
// out (3 servers, the load check running). The measured times go to the fault-times log
// (docs/faults.md has the table).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { sextant, sextantStreaming } from '../engine/project.ts';
import { assertOneVersionEach, containersOf, failuresOn, loadOn, lockState, makeFaultProject, recordTime, servedVersion, startFromV1 } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, troubled] = servers as [string, string, string];
// Kamal's and Sextant's defaults for the retries (4 tries, 1 s base, 15 s max) and down_after (5 s).
const project = makeFaultProject(testbed, { service: 'fgiveup', servers, retry: { attempts: 4, base_delay: 1, max_delay: 15 } });

startFromV1(test, project, servers);

const isWebRun = (event: { type: string; [k: string]: unknown }, host: string) =>
  event.type === 'command.start' && event.host === host && /docker run --detach .*--name fgiveup-web-/.test(String(event.line));

test('a server down for good at its docker run: declared down within down_after, the deploy fails soon after, the others keep the new version', async () => {
  const load = loadOn(servers, project);
  let faultedAt = 0;
  let downAt = 0;
  const result = await sextantStreaming(project, ['deploy', '--version', 'v2'], (event) => {
    if (!faultedAt && isWebRun(event, troubled)) {
      faultedAt = Date.now();
      void faults.stopSshd(troubled).then(() => faults.resetSsh(troubled));
    }
    if (!downAt && event.type === 'host.stage.finished' && event.host === troubled && event.stage === 'boot') downAt = Date.now();
  });
  const endedAt = Date.now();
  const traffic = await load.stop();
  await faults.clearSshFilters(troubled);
  await faults.startSshd(troubled);
  assert.ok(faultedAt, 'the fault was injected');
  assert.ok(result.code !== 0, 'the deploy fails');
  assert.match(result.stdout + result.stderr, /host down: no connection for \d/);
  recordTime('server down for good at docker run', 'host given up after', downAt - faultedAt);
  recordTime('server down for good at docker run', 'deploy ended after', endedAt - faultedAt);
  // Bounded by down_after (5 s) plus one retry's backoff and the run's own wind-down.
  assert.ok(downAt - faultedAt < 12_000, `gave up on the host after ${downAt - faultedAt} ms`);

  assert.is(await lockState(primary, project), 'free', 'the lock is released');
  // keep (the default): the others stay on v2; the troubled one still serves v1 through its proxy.
  await assertOneVersionEach(project, { [primary]: 'v2', [second]: 'v2' });
  assert.is(await servedVersion(troubled, project), 'v1');
  assert.equal(failuresOn(traffic, [troubled]), [], 'no request to the server that stayed on v1 failed');

  // The v2 container its docker run started before the connection went (the answer was lost, the
  // rollback could not reach the server) is not behind the proxy; the next run's stale-container
  // step stops it.
  const next = await sextant(project, ['deploy', '--version', 'v3']);
  assert.is(next.code, 0, next.stdout + next.stderr);
  const strays = (await containersOf(troubled, project, 'v2')).filter((c) => c.state === 'running');
  assert.equal(strays.map((c) => c.name), [], 'no v2 container runs on the troubled server after the next deploy');
  await assertOneVersionEach(project, { [primary]: 'v3', [second]: 'v3', [troubled]: 'v3' });
});

test('a 4 s outage (sshd stopped, connections reset) at a docker run is ridden out: every server ends on the new version', async () => {
  const load = loadOn(servers, project);
  let restored: Promise<void> = Promise.resolve();
  let faulted = false;
  const result = await sextantStreaming(project, ['deploy', '--version', 'v4'], (event) => {
    if (!faulted && isWebRun(event, troubled)) {
      faulted = true;
      restored = (async () => {
        await faults.stopSshd(troubled);
        await faults.resetSsh(troubled);
        await new Promise((r) => setTimeout(r, 4000));
        await faults.clearSshFilters(troubled);
        await faults.startSshd(troubled);
      })();
    }
  });
  await restored;
  const traffic = await load.stop();
  assert.ok(faulted, 'the fault was injected');
  assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  await assertOneVersionEach(project, { [primary]: 'v4', [second]: 'v4', [troubled]: 'v4' });
  assert.equal(traffic.failures, [], 'no request failed');
});

test('a non-deploy command (app details) rides out a 3 s outage of one server', async () => {
  await faults.stopSshd(troubled);
  await faults.resetSsh(troubled);
  const restore = (async () => {
    await new Promise((r) => setTimeout(r, 3000));
    await faults.clearSshFilters(troubled);
    await faults.startSshd(troubled);
  })();
  const result = await sextant(project, ['app', 'details']);
  await restore;
  assert.is(result.code, 0, result.stdout + result.stderr);
  for (const server of servers) assert.match(result.stdout, server);
  assert.match(result.stdout, /fgiveup-web-v4/);
});

test('a non-deploy command gives up on a server that stays down, saying so', async () => {
  await faults.stopSshd(troubled);
  try {
    const started = Date.now();
    const result = await sextant(project, ['app', 'details']);
    recordTime('app details, one server down for good', 'failed after', Date.now() - started);
    assert.ok(result.code !== 0);
    assert.match(result.stdout + result.stderr, /host down/);
  } finally {
    await faults.startSshd(troubled);
  }
});

test.run();
