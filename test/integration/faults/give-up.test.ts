// A server gone (sshd stopped, connections reset) at several points of a 3-server deploy, the load
// check running: for good, it is declared down after down_after and the deploy ends failed with a
// way back (lock released, each server serving one version, the next deploy clears what the failed
// one left); for 4 s, it is ridden out. The measured times go to the fault-times log (docs/faults.md
// has the table).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { sextant } from '../engine/project.ts';
import {
  assertOneVersionEach, assertWayBack, deployWithFault, loadOn, lockState, makeFaultProject, outage, POINTS, recordTime, sameVersion, serverBack, serverGone,
  servedVersion, startFromV1, versionTrack, type DeployPoint,
} from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, troubled] = servers as [string, string, string];
// Kamal's and Sextant's defaults for the retries (4 tries, 1 s base, 15 s max) and down_after (5 s).
const project = makeFaultProject(testbed, { service: 'fgiveup', servers, retry: { attempts: 4, base_delay: 1, max_delay: 15 } });

startFromV1(test, project, servers);

const versions = versionTrack();

interface GoneAt {
  point: DeployPoint;
  // What the others and the troubled server serve once it ends ('either': its last command's answer
  // was lost, so whether kamal-proxy switched there cannot be known; it serves one of the two).
  others: 'old' | 'new';
  troubled: 'old' | 'new' | 'either';
  // The failed run may leave a container that never went live (its answer lost, the rollback unable
  // to reach the server): the next deploy's stale step stops it.
  wayBack: boolean;
}

const goneFor: GoneAt[] = [
  // Before the lock: nothing changes anywhere.
  { point: POINTS.pull, others: 'old', troubled: 'old', wayBack: false },
  { point: POINTS.run, others: 'new', troubled: 'old', wayBack: true },
  { point: POINTS.switch, others: 'new', troubled: 'either', wayBack: true },
  // Every server switched; its tag and prune (and nothing else) are lost.
  { point: POINTS.tagAndPrune, others: 'new', troubled: 'new', wayBack: false },
];

for (const scenario of goneFor) {
  test(`a server gone for good at its ${scenario.point.name}: declared down, the deploy ends failed with the lock released, ${scenario.others === 'old' ? 'every server on the old version' : 'the others on the new version'}`, async () => {
    const [old, next] = [versions.serving, versions.fresh()];
    const load = loadOn(servers, project);
    let downAt = 0;
    let run;
    try {
      run = await deployWithFault(project, next, scenario.point, troubled, () => serverGone(troubled), (event) => {
        if (!downAt && event.type === 'host.stage.finished' && event.host === troubled && event.ok === false) downAt = Date.now();
      });
    } finally {
      await serverBack(troubled);
    }
    const traffic = await load.stop();
    const name = `server down for good at its ${scenario.point.name}`;
    if (downAt) recordTime(name, 'host given up after', downAt - run.faultedAt);
    recordTime(name, 'deploy ended (failed) after', run.endedAt - run.faultedAt);
    assert.ok(run.result.code !== 0, 'the deploy fails');
    assert.match(run.result.stdout + run.result.stderr, /host down: no connection for \d/);

    assert.is(await lockState(primary, project), 'free', 'the lock is released');
    const version = { old, new: next };
    await assertOneVersionEach(project, { [primary]: version[scenario.others], [second]: version[scenario.others] });
    const served = await servedVersion(troubled, project);
    if (scenario.troubled === 'either') assert.ok([old, next].includes(served), `${troubled} serves ${old} or ${next}: ${served}`);
    else assert.is(served, version[scenario.troubled]);
    assert.equal(traffic.failures, [], 'no request failed, on any server');

    if (scenario.wayBack) {
      versions.serving = versions.fresh();
      await assertWayBack(project, servers, versions.serving);
    } else {
      versions.serving = version[scenario.troubled as 'old' | 'new'];
      await assertOneVersionEach(project, { [troubled]: versions.serving });
    }
  });
}

for (const point of [POINTS.run, POINTS.switch]) {
  test(`a 4 s outage (sshd stopped, connections reset) at a server's ${point.name} is ridden out: every server ends on the new version`, async () => {
    const next = versions.fresh();
    const load = loadOn(servers, project);
    const run = await deployWithFault(project, next, point, troubled, outage(4000, () => serverGone(troubled), () => serverBack(troubled)));
    const traffic = await load.stop();
    recordTime(`4 s outage at a server's ${point.name}`, 'deploy ended (done) after', run.endedAt - run.faultedAt);
    assert.is(run.result.code, 0, run.result.stdout.slice(-3000) + run.result.stderr);
    await assertOneVersionEach(project, sameVersion(servers, next));
    assert.equal(traffic.failures, [], 'no request failed');
    versions.serving = next;
  });
}

test('a non-deploy command (app details) rides out a 3 s outage of one server', async () => {
  await serverGone(troubled);
  const back = new Promise((r) => setTimeout(r, 3000)).then(() => serverBack(troubled));
  const result = await sextant(project, ['app', 'details']);
  await back;
  assert.is(result.code, 0, result.stdout + result.stderr);
  for (const server of servers) assert.match(result.stdout, server);
  assert.match(result.stdout, `fgiveup-web-${versions.serving}`);
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
