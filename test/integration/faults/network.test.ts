// Network faults on one of three servers during a deploy, the load check running: SSH latency of
// 200 ms each way, SSH packets dropped for good, and the link down for 10 s, the last two at the
// pull and at the boot. Each ends done, or failed with a way back: the lock released, every server
// serving exactly one version, no failed request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { sextant } from '../engine/project.ts';
import {
  assertOneVersionEach, assertWayBack, deployWithFault, failuresOn, loadOn, lockState, makeFaultProject, outage, POINTS, recordTime, sameVersion, servedVersion,
  startFromV1, versionTrack,
} from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, troubled] = servers as [string, string, string];
// The pull's own default deadline (120 s at least) would make a dropped pull wait two minutes.
const project = makeFaultProject(testbed, { service: 'fnet', servers, sextant: '  deadlines:\n    command: 8\n    pull: 8\n' });

startFromV1(test, project, servers);

const versions = versionTrack();

test('200 ms of SSH latency each way on one server: the deploy succeeds everywhere, no failed request', async () => {
  await faults.addSshLatency(troubled, 200);
  const load = loadOn(servers, project);
  const started = Date.now();
  const next = versions.fresh();
  try {
    const result = await sextant(project, ['deploy', '--version', next]);
    recordTime('SSH latency 200 ms on one server', 'deploy succeeded in', Date.now() - started);
    assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  } finally {
    await faults.removeSshLatency(troubled);
  }
  const traffic = await load.stop();
  await assertOneVersionEach(project, sameVersion(servers, next));
  assert.equal(traffic.failures, []);
  versions.serving = next;
});

// With SSH packets dropped the troubled server's command hangs until its deadline, its retry's
// connection try times out, and it is declared down. At the pull nothing has changed anywhere; at
// the boot the others switch, and the troubled one keeps the old version: its kamal-proxy deploy,
// seconds after the boot starts, never reaches it.
for (const [point, others] of [[POINTS.pull, 'old'], [POINTS.boot, 'new']] as const) {
  test(`SSH packets dropped for good on one server at the ${point.name}: the deploy fails, the lock is released, that server keeps the old version`, async () => {
    const [old, next] = [versions.serving, versions.fresh()];
    const load = loadOn(servers, project);
    let run;
    try {
      run = await deployWithFault(project, next, point, troubled, () => faults.dropSsh(troubled));
    } finally {
      await faults.clearSshFilters(troubled);
    }
    const traffic = await load.stop();
    recordTime(`SSH packets dropped for good at the ${point.name}`, 'deploy ended (failed) after', run.endedAt - run.faultedAt);
    assert.ok(run.result.code !== 0, 'the deploy fails');
    assert.is(await lockState(primary, project), 'free');
    const othersOn = others === 'old' ? old : next;
    await assertOneVersionEach(project, { [primary]: othersOn, [second]: othersOn });
    assert.is(await servedVersion(troubled, project), old);
    assert.equal(traffic.failures, []);
    if (others === 'old') {
      await assertOneVersionEach(project, { [troubled]: old });
    } else {
      // A new container its docker run may have started there before the drop: the next deploy stops it.
      versions.serving = versions.fresh();
      await assertWayBack(project, servers, versions.serving);
    }
  });
}

// The hung command hits its deadline (or the stalled connection resumes once the link is back)
// and the retry finds the link back: done, or failed with a way back.
for (const point of [POINTS.pull, POINTS.boot]) {
  test(`the link of one server down for 10 s at the ${point.name}: the deploy ends, done or failed with the lock released, every server serving one version`, async () => {
    const [old, next] = [versions.serving, versions.fresh()];
    const load = loadOn(servers, project);
    const run = await deployWithFault(project, next, point, troubled, outage(10_000, () => faults.cutLink(troubled), () => faults.restoreLink(troubled)));
    const traffic = await load.stop();
    const done = run.result.code === 0;
    recordTime(`link down 10 s at the ${point.name}`, `deploy ended (${done ? 'done' : 'failed'}) after`, run.endedAt - run.faultedAt);
    assert.is(await lockState(primary, project), 'free');
    if (done) {
      await assertOneVersionEach(project, sameVersion(servers, next));
      versions.serving = next;
    } else {
      assert.ok([old, next].includes(await servedVersion(troubled, project)));
      versions.serving = versions.fresh();
      await assertWayBack(project, servers, versions.serving);
    }
    // The troubled server cannot be reached at all while its link is down: only the others count.
    assert.equal(failuresOn(traffic, [primary, second]), []);
  });
}

test.run();
