// The lock under faults (3 servers, load running): the primary gone after the boot or from its
// kamal-proxy switch, so the deploy fails saying the lock is still held and exactly how to release
// it, `lock status` names the run and what became of it, and the named command releases it; a run
// killed (SIGKILL) holding the lock, named by `lock status` and finished by `sextant resume`; and
// --lock-wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed } from '../../testbed/index.ts';
import { sextant, sextantProcess, sextantStreaming } from '../engine/project.ts';
import {
  assertOneVersionEach, assertWayBack, deployWithFault, failuresOn, loadOn, lockState, makeFaultProject, POINTS, recordTime, sameVersion, servedVersion, serverBack,
  serverGone, startFromV1, versionTrack,
} from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, third] = servers as [string, string, string];
const project = makeFaultProject(testbed, { service: 'flock', servers });

startFromV1(test, project, servers);

const versions = versionTrack();

// From the first stage after the boot (tag, prune, unlock take about a second, so the primary is
// gone by the unlock whichever of them meets the fault first), and from its kamal-proxy switch (the
// primary's boot fails too; its last command's answer is lost, so it serves either version).
for (const [point, primaryOn] of [[POINTS.afterBoot, 'new'], [POINTS.switch, 'either']] as const) {
  test(`the primary gone from ${point.name === POINTS.switch.name ? 'its kamal-proxy switch' : 'after the boot'}: the deploy fails naming the held lock and the command that releases it; lock status names the run`, async () => {
    const [old, next] = [versions.serving, versions.fresh()];
    const load = loadOn(servers, project);
    let runId = '';
    let run;
    try {
      run = await deployWithFault(project, next, point, primary, () => serverGone(primary), (event) => {
        if (event.type === 'run.started') runId = String(event.runId);
      });
    } finally {
      await serverBack(primary);
    }
    const traffic = await load.stop();
    recordTime(`primary down from ${point.name}`, 'deploy ended (failed) after', run.endedAt - run.faultedAt);
    assert.ok(run.result.code !== 0, 'the deploy fails');
    assert.match(run.result.stdout + run.result.stderr, `The deploy lock is still held on ${primary}. Once it answers, release it with: sextant lock release`);

    await assertOneVersionEach(project, { [second]: next, [third]: next });
    if (primaryOn === 'new') await assertOneVersionEach(project, { [primary]: next });
    else assert.ok([old, next].includes(await servedVersion(primary, project)));
    assert.equal(failuresOn(traffic, servers), []);

    assert.is(await lockState(primary, project), 'locked');
    const status = await sextant(project, ['lock', 'status']);
    assert.is(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, `Held by sextant run ${runId}, which failed without releasing it: \`sextant lock release\` gives it up`);

    const release = await sextant(project, ['lock', 'release']);
    assert.is(release.code, 0, release.stdout + release.stderr);
    assert.is(await lockState(primary, project), 'free');
    if (primaryOn === 'new') {
      // Every server finished its boot: nothing stray to clear, the next row's deploy goes on from here.
      versions.serving = next;
    } else {
      versions.serving = versions.fresh();
      await assertWayBack(project, servers, versions.serving);
    }
  });
}

test('a deploy killed (SIGKILL) while it holds the lock: lock status names the dead run, sextant resume takes the lock over and finishes', async () => {
  const next = versions.fresh();
  const load = loadOn(servers, project);
  // The engine's test hook kills the CLI just before the boot, the lock taken (docs/runs.md).
  const killed = await sextantProcess(project, ['deploy', '--version', next], { SEXTANT_TEST_KILL_AT: 'boot' });
  assert.is(killed.signal, 'SIGKILL', `the deploy was killed: ${killed.stdout.slice(-2000)}${killed.stderr}`);
  assert.is(await lockState(primary, project), 'locked');

  const status = await sextant(project, ['lock', 'status']);
  assert.is(status.code, 0, status.stdout + status.stderr);
  const held = /Held by sextant run (\S+), whose process is gone: `sextant resume \1` takes the lock over and finishes the run/.exec(status.stdout);
  assert.ok(held, `lock status names the dead run: ${status.stdout}`);

  const resumed = await sextantProcess(project, ['resume', held[1] as string]);
  const traffic = await load.stop();
  assert.is(resumed.code, 0, resumed.stdout.slice(-3000) + resumed.stderr);
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, sameVersion(servers, next));
  assert.equal(traffic.failures, []);
  versions.serving = next;
});

test('--lock-wait (Kamal 2.12): a lock taken by hand is not waited for; a dead deploy\'s lock is waited for until it is released, then the deploy goes on', async () => {
  // The lock's details name a version: the project is no git checkout, so it comes from $VERSION.
  const held = await sextant(project, ['lock', 'acquire', '-m', 'maintenance window'], { VERSION: versions.serving });
  assert.is(held.code, 0, held.stdout + held.stderr);
  const manual = await sextant(project, ['deploy', '--version', versions.fresh(), '--lock-wait', '120']);
  assert.ok(manual.code !== 0, 'a deploy does not wait for a lock taken by hand');
  assert.match(manual.stdout + manual.stderr, /Deploy lock found/);
  assert.match(manual.stdout + manual.stderr, /maintenance window/);
  assert.match(manual.stdout + manual.stderr, /taken by hand/);
  assert.is((await sextant(project, ['lock', 'release'])).code, 0);

  // A deploy killed while it holds the lock leaves an automatic lock behind.
  const killed = await sextantProcess(project, ['deploy', '--version', versions.fresh()], { SEXTANT_TEST_KILL_AT: 'boot' });
  assert.is(killed.signal, 'SIGKILL', `the deploy was killed: ${killed.stdout.slice(-2000)}${killed.stderr}`);
  assert.is(await lockState(primary, project), 'locked');
  const short = await sextant(project, ['lock', 'acquire', '-m', 'second', '--lock-wait', '1', '--lock-wait-interval', '0.5'], { VERSION: versions.serving });
  assert.ok(short.code !== 0);
  assert.match(short.stdout + short.stderr, /Timed out after 1s waiting for the deploy lock/);

  const load = loadOn(servers, project);
  const next = versions.fresh();
  let released: Promise<unknown> = Promise.resolve();
  let waited = false;
  const result = await sextantStreaming(project, ['deploy', '--version', next, '--lock-wait', '--lock-wait-timeout', '120', '--lock-wait-interval', '1'], (event) => {
    if (!waited && event.type === 'log' && /held by another deploy; waiting up to 120s/.test(String(event.message))) {
      waited = true;
      released = sextant(project, ['lock', 'release']);
    }
  });
  await released;
  const traffic = await load.stop();
  assert.ok(waited, 'the deploy said it waits for the lock');
  assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  await assertOneVersionEach(project, sameVersion(servers, next));
  assert.is(await lockState(primary, project), 'free');
  assert.equal(traffic.failures, []);
  versions.serving = next;
});

test.run();
