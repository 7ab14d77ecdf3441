// The fleet policy `revert` on real servers: one of three servers fails its health check, the two
// that had switched go back to the old version, and the load check sees no failed request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { auditLog } from '../engine/kamal-state.ts';
import { sextantStreaming } from '../engine/project.ts';
import { assertOneVersionEach, containersOf, loadOn, lockState, makeFaultProject, recordTime, startFromV1 } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, troubled] = servers as [string, string, string];
const project = makeFaultProject(testbed, { service: 'frevert', servers, sextant: '  fleet:\n    on_failure: revert\n' });

startFromV1(test, project, servers);

test('revert: 1 of 3 servers fails its health check; all 3 end serving v1, no v2 container is left, 0 failed requests', async () => {
  await faults.failHealthcheck(troubled);
  const load = loadOn(servers, project);
  const logs: string[] = [];
  const started = Date.now();
  let result;
  try {
    result = await sextantStreaming(project, ['deploy', '--version', 'v2'], (event) => {
      if (event.type === 'log') logs.push(`${String(event.host ?? '')} ${String(event.message)}`);
    });
  } finally {
    await faults.restoreHealthcheck(troubled);
  }
  recordTime('revert, one health check failing', 'deploy ended (failed, reverted) after', Date.now() - started);
  const traffic = await load.stop();
  assert.ok(result.code !== 0, 'the deploy fails');
  assert.ok(traffic.total > 0);
  assert.equal(traffic.failures, [], 'no request failed on any server');
  // The outcome names each switched host's final version.
  for (const host of [primary, second]) assert.ok(logs.some((l) => l.startsWith(host) && /web: v2 reverted to version v1/.test(l)), `${host} reverted: ${logs.join('\n')}`);
  assert.is(await lockState(primary, project), 'free', 'the lock is released');
  await assertOneVersionEach(project, { [primary]: 'v1', [second]: 'v1', [troubled]: 'v1' });
  for (const host of [primary, second]) {
    assert.equal((await containersOf(host, project, 'v2')).map((c) => c.name), [], `${host}: the v2 containers are removed`);
    assert.match(await auditLog(host, project), /\[web\] Deploy of v2 failed elsewhere, reverted to version v1/);
  }
  // Both roles are back on v1 where they had switched.
  for (const host of [primary, second]) {
    const running = (await containersOf(host, project, 'v1')).filter((c) => c.state === 'running').map((c) => c.name).sort();
    assert.equal(running, ['frevert-web-v1', 'frevert-workers-v1']);
  }
});

test.run();
