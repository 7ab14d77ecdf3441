// Network faults on one of three servers during a deploy, the load check running: SSH latency of
// 200 ms each way, SSH packets dropped for good, and the link down for 10 s. Each ends done, or
// failed with a way back: the lock released, every server serving exactly one version, no failed
// request on the servers the fault did not touch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { sextant, sextantStreaming } from '../engine/project.ts';
import { assertOneVersionEach, failuresOn, loadOn, lockState, makeFaultProject, recordTime, servedVersion, startFromV1 } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, troubled] = servers as [string, string, string];
const project = makeFaultProject(testbed, { service: 'fnet', servers, sextant: '  deadlines:\n    command: 8\n' });

startFromV1(test, project, servers);

const atBoot = (event: { type: string; [k: string]: unknown }) => event.type === 'stage.started' && event.stage === 'boot';

test('200 ms of SSH latency each way on one server: the deploy succeeds everywhere, no failed request', async () => {
  await faults.addSshLatency(troubled, 200);
  const load = loadOn(servers, project);
  const started = Date.now();
  try {
    const result = await sextant(project, ['deploy', '--version', 'v2']);
    recordTime('SSH latency 200 ms on one server', 'deploy succeeded in', Date.now() - started);
    assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  } finally {
    await faults.removeSshLatency(troubled);
  }
  const traffic = await load.stop();
  await assertOneVersionEach(project, { [primary]: 'v2', [second]: 'v2', [troubled]: 'v2' });
  assert.equal(traffic.failures, []);
});

test('SSH packets dropped for good on one server at boot: the deploy fails within the deadline and down_after, the lock is released', async () => {
  const load = loadOn(servers, project);
  let faultedAt = 0;
  let result;
  try {
    result = await sextantStreaming(project, ['deploy', '--version', 'v3'], (event) => {
      if (!faultedAt && atBoot(event)) {
        faultedAt = Date.now();
        void faults.dropSsh(troubled);
      }
    });
    recordTime('SSH packets dropped for good at boot', 'deploy ended (failed) after', Date.now() - faultedAt);
  } finally {
    await faults.clearSshFilters(troubled);
  }
  const traffic = await load.stop();
  assert.ok(faultedAt);
  assert.ok(result.code !== 0, 'the deploy fails');
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, { [primary]: 'v3', [second]: 'v3' });
  // Whatever the troubled server got to before its SSH went dark, kamal-proxy serves one version.
  assert.match(await servedVersion(troubled, project), /^v[23]$/);
  assert.equal(failuresOn(traffic, [primary, second]), []);
});

test('the link of one server down for 10 s at boot: the deploy ends, done or failed with the lock released, every server serving one version', async () => {
  // Bring every server back to one version first (the previous scenario may have left v2 there).
  const reset = await sextant(project, ['deploy', '--version', 'v4']);
  assert.is(reset.code, 0, reset.stdout + reset.stderr);
  const load = loadOn([primary, second], project);
  let restored: Promise<void> = Promise.resolve();
  let faultedAt = 0;
  const result = await sextantStreaming(project, ['deploy', '--version', 'v5'], (event) => {
    if (!faultedAt && atBoot(event)) {
      faultedAt = Date.now();
      restored = (async () => {
        await faults.cutLink(troubled);
        await new Promise((r) => setTimeout(r, 10_000));
        await faults.restoreLink(troubled);
      })();
    }
  });
  recordTime('link down 10 s at boot', `deploy ended (${result.code === 0 ? 'done' : 'failed'}) after`, Date.now() - faultedAt);
  await restored;
  const traffic = await load.stop();
  assert.ok(faultedAt);
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, { [primary]: 'v5', [second]: 'v5' });
  assert.match(await servedVersion(troubled, project), result.code === 0 ? /^v5$/ : /^v[45]$/);
  assert.equal(traffic.failures, []);
});

test.run();
