// The fleet policy (x-sextant.fleet) in the deploy machine, with fake steps: how many failed boots
// stop the deploy, and `revert` sending the hosts that switched back to their previous version.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise } from 'xstate';
import { callsOf, fakeDeployMachine, gate, permanent, plan, type Fakes } from './fakes.ts';

async function run(fakes: Fakes, overrides = {}) {
  const actor = createActor(fakeDeployMachine(fakes), { input: plan(overrides) });
  actor.start();
  return toPromise(actor);
}

const threeHosts = {
  hosts: ['h1', 'h2', 'h3'],
  stageHosts: { pull: ['h1', 'h2', 'h3'], prepare: ['h1', 'h2', 'h3'], lock: ['h1'], network: ['h1', 'h2', 'h3'], proxy: ['h1', 'h2', 'h3'], stopStale: ['h1', 'h2', 'h3'], tagLatest: ['h1', 'h2', 'h3'], prune: ['h1', 'h2', 'h3'], unlock: ['h1'] },
  rolesOnHost: { h1: [{ name: 'web', runsProxy: true }], h2: [{ name: 'web', runsProxy: true }], h3: [{ name: 'web', runsProxy: true }] },
  bootGroups: [['h1', 'h2', 'h3']],
};

// h3's new container never gets healthy, after h1's has opened the barrier.
function h3Unhealthy(): Fakes {
  const h1Healthy = gate();
  return {
    calls: [],
    behave: async (call) => {
      if (call === 'h1 web stopOld') h1Healthy.open();
      if (call === 'h3 web health') {
        await h1Healthy.promise;
        throw permanent('target failed to become healthy');
      }
    },
    oldVersion: () => 'v1',
  };
}

test('keep (no fleet policy): the switched hosts stay switched, nothing is reverted, the lock is released', async () => {
  const fakes = h3Unhealthy();
  const output = await run(fakes, threeHosts);
  assert.not.ok(output.ok);
  assert.not.ok(fakes.calls.some((c) => c.endsWith(' revert')), 'no revert');
  assert.is(fakes.calls.at(-1), 'h1 unlock');
});

test('revert: every host that switched runs revert, then the lock is released and the deploy fails', async () => {
  const fakes = h3Unhealthy();
  const output = await run(fakes, { ...threeHosts, fleet: { maxFailures: 0, onFailure: 'revert' } });
  assert.not.ok(output.ok);
  assert.equal(fakes.calls.filter((c) => c.endsWith(' revert')).sort(), ['h1 revert', 'h2 revert']);
  assert.ok(callsOf(fakes.calls, 'h3').includes('web rollback'), 'the failed host rolled itself back');
  assert.not.ok(fakes.calls.includes('h3 revert'), 'the failed host is not sent revert');
  assert.not.ok(fakes.calls.some((c) => c.endsWith(' tagLatest')), 'nothing after the boot runs');
  assert.is(fakes.calls.at(-1), 'h1 unlock');
  assert.ok(fakes.calls.indexOf('h1 unlock') > fakes.calls.indexOf('h1 revert'));
});

test('max_failures: a failed host within the allowance is reported as tolerated and the deploy goes on to the end', async () => {
  const fakes = h3Unhealthy();
  const output = await run(fakes, { ...threeHosts, fleet: { maxFailures: 1, onFailure: 'revert' } });
  assert.ok(output.ok, 'only tolerated failures');
  assert.equal(output.failures, [{ host: 'h3', role: 'web', stage: 'health', kind: 'permanent', message: 'target failed to become healthy', tolerated: true }]);
  assert.not.ok(fakes.calls.some((c) => c.endsWith(' revert')));
  assert.ok(fakes.calls.includes('h1 tagLatest'));
});

test('a revert that fails on a host is reported with the boot failure', async () => {
  const fakes = h3Unhealthy();
  const behave = fakes.behave;
  fakes.behave = async (call, attempt) => {
    if (call === 'h2 revert') throw permanent('host down');
    return behave(call, attempt);
  };
  const output = await run(fakes, { ...threeHosts, fleet: { maxFailures: 0, onFailure: 'revert' } });
  assert.not.ok(output.ok);
  assert.equal(output.failures.map((f) => `${f.host} ${f.stage}`).sort(), ['h2 revert', 'h3 health']);
  assert.is(fakes.calls.at(-1), 'h1 unlock');
});

test.run();
