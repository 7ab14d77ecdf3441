// The registry down during the pull (the servers' connections to it refused, as with a stopped
// registry), the load check running. A registry that stays down fails the deploy before any server
// takes the lock or boots: every server keeps the old version, nothing new runs anywhere. A
// registry gone for a few seconds is ridden out: a refused connection during `docker login` or
// `docker pull` ("dial tcp …: connection refused") is a transient failure, retried with backoff.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import {
  assertOneVersionEach, deployWithFault, loadOn, lockState, makeFaultProject, outage, POINTS, recordTime, sameVersion, startFromV1, type FaultedRun,
} from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, , troubled] = servers as [string, string, string];
// Five tries, backoff 1, 2, 4, 4 s (each between half and all of it): the last try comes at least
// 5.5 s after the first, well after a 3 s outage.
const project = makeFaultProject(testbed, { service: 'fregistry', servers, retry: { attempts: 5, base_delay: 1, max_delay: 4 } });

startFromV1(test, project, servers);

const blockAll = () => Promise.all(servers.map((s) => faults.blockRegistry(s)));
const unblockAll = () => Promise.all(servers.map((s) => faults.unblockRegistry(s)));

async function withLoad(run: () => Promise<FaultedRun>): Promise<{ run: FaultedRun; failures: string[] }> {
  const load = loadOn(servers, project);
  try {
    return { run: await run(), failures: (await load.stop()).failures };
  } finally {
    await unblockAll();
  }
}

const registryRefused = /connection refused/;

test('the registry down for good from the registry login: the deploy fails before the lock, every server keeps v1', async () => {
  const { run, failures } = await withLoad(() => deployWithFault(project, 'v2', POINTS.login, troubled, blockAll));
  recordTime('registry down for good at the registry login', 'deploy ended (failed) after', run.endedAt - run.faultedAt);
  assert.ok(run.result.code !== 0, 'the deploy fails');
  assert.match(run.result.stdout + run.result.stderr, registryRefused);
  assert.ok(run.events.some((e) => e.type === 'retry' && registryRefused.test(String(e.reason))), 'a refused registry connection was retried');
  assert.not.ok(run.events.some((e) => e.type === 'stage.started' && (e.stage === 'lock' || e.stage === 'boot')), 'no lock taken, no boot started');
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, sameVersion(servers, 'v1'));
  assert.equal(failures, []);
});

test('the registry down for good for one server at its docker pull: the deploy fails, every server keeps v1', async () => {
  const { run, failures } = await withLoad(() => deployWithFault(project, 'v3', POINTS.pull, troubled, () => faults.blockRegistry(troubled)));
  recordTime('registry down for good for one server at its docker pull', 'deploy ended (failed) after', run.endedAt - run.faultedAt);
  assert.ok(run.result.code !== 0, 'the deploy fails');
  assert.match(run.result.stdout + run.result.stderr, registryRefused);
  assert.ok(run.events.some((e) => e.type === 'retry' && e.host === troubled), 'the pull was retried');
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, sameVersion(servers, 'v1'));
  assert.equal(failures, []);
});

test('the registry down 3 s at a docker pull (for every server): ridden out by the retries, every server on the new version', async () => {
  const { run, failures } = await withLoad(() => deployWithFault(project, 'v4', POINTS.pull, troubled, outage(3000, blockAll, unblockAll)));
  recordTime('registry down 3 s at a docker pull', `deploy ended (${run.result.code === 0 ? 'done' : 'failed'}) after`, run.endedAt - run.faultedAt);
  assert.is(run.result.code, 0, run.result.stdout.slice(-3000) + run.result.stderr);
  assert.ok(run.events.some((e) => e.type === 'retry' && registryRefused.test(String(e.reason))), 'a refused registry connection was retried');
  assert.is(await lockState(primary, project), 'free');
  await assertOneVersionEach(project, sameVersion(servers, 'v4'));
  assert.equal(failures, []);
});

test.run();
