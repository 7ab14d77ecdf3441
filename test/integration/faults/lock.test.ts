// The primary down at unlock (3 servers, load running): the deploy fails saying the lock is still
// held and exactly how to release it; `lock status` names the run that holds it and what became of
// it; the named command releases it and the next deploy goes through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { sextant, sextantStreaming } from '../engine/project.ts';
import { assertOneVersionEach, failuresOn, loadOn, lockState, makeFaultProject, recordTime, startFromV1 } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, third] = servers as [string, string, string];
const project = makeFaultProject(testbed, { service: 'flock', servers });

startFromV1(test, project, servers);

test('the primary gone before the unlock: the deploy fails naming the held lock and the command that releases it; lock status names the run', async () => {
  const load = loadOn(servers, project);
  let faultedAt = 0;
  let runId = '';
  const result = await sextantStreaming(project, ['deploy', '--version', 'v2'], (event) => {
    if (event.type === 'run.started') runId = String(event.runId);
    // From the first stage after the boot: the stages left (tag, prune, unlock) take about a second,
    // so the primary is gone by the unlock, whichever of them meets the fault first.
    if (!faultedAt && event.type === 'stage.started' && event.stage === 'tagLatest') {
      faultedAt = Date.now();
      void faults.stopSshd(primary).then(() => faults.resetSsh(primary));
    }
  });
  const endedAt = Date.now();
  await faults.clearSshFilters(primary);
  await faults.startSshd(primary);
  const traffic = await load.stop();
  assert.ok(faultedAt, 'the fault was injected');
  recordTime('primary down at unlock', 'deploy ended (failed) after', endedAt - faultedAt);
  assert.ok(result.code !== 0, 'the deploy fails');
  const output = result.stdout + result.stderr;
  assert.match(output, `The deploy lock is still held on ${primary}. Once it answers, release it with: sextant lock release`);

  // Every server switched before the unlock; none served a failed request.
  await assertOneVersionEach(project, { [primary]: 'v2', [second]: 'v2', [third]: 'v2' });
  assert.equal(failuresOn(traffic, servers), []);

  assert.is(await lockState(primary, project), 'locked');
  const status = await sextant(project, ['lock', 'status']);
  assert.is(status.code, 0, status.stdout + status.stderr);
  assert.match(status.stdout, `Held by sextant run ${runId}, which failed without releasing it: \`sextant lock release\` gives it up`);

  const release = await sextant(project, ['lock', 'release']);
  assert.is(release.code, 0, release.stdout + release.stderr);
  assert.is(await lockState(primary, project), 'free');
  const next = await sextant(project, ['deploy', '--version', 'v3']);
  assert.is(next.code, 0, next.stdout + next.stderr);
});

test('--lock-wait: a deploy waits for a held lock and goes on once it is released; a lock acquire that waits too little fails naming the lock', async () => {
  // The lock's details name a version: the project is no git checkout, so it comes from $VERSION.
  const held = await sextant(project, ['lock', 'acquire', '-m', 'maintenance window'], { VERSION: 'v3' });
  assert.is(held.code, 0, held.stdout + held.stderr);
  const short = await sextant(project, ['lock', 'acquire', '-m', 'second', '--lock-wait', '1'], { VERSION: 'v3' });
  assert.ok(short.code !== 0);
  assert.match(short.stdout + short.stderr, /Deploy lock found/);
  assert.match(short.stdout + short.stderr, /maintenance window/);

  let released: Promise<unknown> = Promise.resolve();
  let waited = false;
  const result = await sextantStreaming(project, ['deploy', '--version', 'v4', '--lock-wait', '120'], (event) => {
    if (!waited && event.type === 'log' && /waiting up to 120s/.test(String(event.message))) {
      waited = true;
      released = sextant(project, ['lock', 'release']);
    }
  });
  await released;
  assert.ok(waited, 'the deploy said it waits for the lock');
  assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  await assertOneVersionEach(project, { [primary]: 'v4', [second]: 'v4', [third]: 'v4' });
  assert.is(await lockState(primary, project), 'free');
});

test.run();
