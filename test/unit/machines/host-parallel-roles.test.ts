// boot.parallel_roles (Kamal 2.10): a host swaps all its roles at once, each still in a role-swap
// child named after its role; the boot ends when every swap has finished.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnyEventObject } from 'xstate';
import type { RolePlan } from '../../../machines/plan.ts';
import { providedHostMachine } from '../../../src/engine/run.ts';
import { deployPlan } from '../../../src/engine/plan.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { tempProject } from '../config/temp-project.ts';
import { callsOf, fakeHandlers, gate, permanent, type Fakes } from './fakes.ts';
import { underParent, type Harness } from './harness.ts';

const WEB: RolePlan = { name: 'web', runsProxy: true };
const WORKERS: RolePlan = { name: 'workers', runsProxy: false };
const SWAP = ['renameClash', 'start', 'health', 'stopOld'];

function host(fakes: Fakes, parallelRoles = true): Harness {
  return underParent(
    providedHostMachine(fakeHandlers(fakes)),
    { host: 'h1', roles: [WEB, WORKERS], version: 'v2', primaryRole: 'web', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, parallelRoles },
    'h1',
  );
}

const bootEnded = (r: AnyEventObject) => (r.type === 'HOST.DONE' || r.type === 'HOST.FAILED') && r.stage === 'boot';

test('both roles swap at once: workers finishes while web is still starting', async () => {
  const webStarted = gate();
  const letWebGo = gate();
  const workersDone = gate();
  const fakes: Fakes = {
    calls: [],
    behave: async (call) => {
      if (call === 'h1 web start') {
        webStarted.open();
        await letWebGo.promise;
      }
      if (call === 'h1 workers stopOld') workersDone.open();
    },
  };
  const h = host(fakes);
  h.send({ type: 'BARRIER.OPENED' });
  h.send({ type: 'BOOT' });
  await webStarted.promise;
  await workersDone.promise;
  assert.ok(Object.keys(h.childSnapshot().children).includes('web'), 'web still swapping');
  assert.ok(callsOf(fakes.calls, 'h1').includes('workers stopOld'), 'workers swapped before web finished');
  assert.not.ok(h.reports().some(bootEnded), 'the boot waits for every role');
  letWebGo.open();
  assert.is((await h.until(bootEnded)).type, 'HOST.DONE');
  const calls = callsOf(fakes.calls, 'h1');
  for (const role of ['web', 'workers']) assert.equal(calls.filter((c) => c.startsWith(`${role} `)), SWAP.map((s) => `${role} ${s}`));
  assert.equal(Object.keys(h.childSnapshot().children), [], 'finished swaps are stopped');
  h.stop();
});

test('the barrier opened by the primary role reaches a role waiting for it on the same host', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes);
  h.send({ type: 'BOOT' });
  await h.until((r) => r.type === 'BARRIER.OPEN');
  assert.not.ok(callsOf(fakes.calls, 'h1').includes('workers start'), 'workers waits at the barrier');
  h.send({ type: 'BARRIER.OPENED' }); // the deployment tells every host
  assert.is((await h.until(bootEnded)).type, 'HOST.DONE');
  assert.ok(callsOf(fakes.calls, 'h1').includes('workers stopOld'));
  h.stop();
});

test('a failing role fails the boot only once the other role has finished; the failure is the failing role\'s', async () => {
  const fakes: Fakes = { calls: [], behave: (call) => { if (call === 'h1 workers health') throw permanent('unhealthy'); } };
  const h = host(fakes);
  h.send({ type: 'BARRIER.OPENED' });
  h.send({ type: 'BOOT' });
  const report = await h.until(bootEnded);
  assert.equal(report, {
    type: 'HOST.FAILED',
    host: 'h1',
    stage: 'boot',
    failure: { host: 'h1', role: 'workers', stage: 'health', kind: 'permanent', message: 'unhealthy' },
  });
  const calls = callsOf(fakes.calls, 'h1');
  assert.ok(calls.includes('web stopOld'), 'web went on to the end');
  assert.ok(calls.includes('workers rollback'));
  h.stop();
});

test('without parallel_roles the roles still go one after another', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes, false);
  h.send({ type: 'BARRIER.OPENED' });
  h.send({ type: 'BOOT' });
  await h.until(bootEnded);
  assert.equal(callsOf(fakes.calls, 'h1'), [...SWAP.map((s) => `web ${s}`), ...SWAP.map((s) => `workers ${s}`)]);
  h.stop();
});

test('the plan carries boot/parallel_roles only when it is on (plans of other configs are unchanged)', () => {
  const plan = (extra: string) => {
    const p = tempProject({ 'config/deploy.yml': `service: app\nimage: a/app\nservers: { web: [1.1.1.1], workers: [1.1.1.1] }\nregistry: { username: u, password: p }\nbuilder: { arch: amd64 }\n${extra}` });
    try {
      const config = loadConfig({ cwd: p.dir, env: {} });
      return deployPlan(config, selectHosts(config), { runId: 'r', command: 'deploy', version: 'v1', skipPush: false, lockInherited: false });
    } finally {
      p.cleanup();
    }
  };
  assert.is(plan('boot: { parallel_roles: true }\n').parallelRoles, true);
  assert.not.ok('parallelRoles' in plan(''));
});

test.run();
