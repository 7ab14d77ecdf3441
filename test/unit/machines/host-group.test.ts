// The deployment keeps its host actors in groups of GROUP_SIZE (machines/host-group.ts), so that
// no actor has a child per server. The groups only relay: these tests run fleets larger than one
// group through the deploy machine with fake steps and check that the hosts hear what they would
// hear from the deployment itself — in the same order, the barrier across groups, boot groups
// that straddle host groups.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise } from 'xstate';
import { byGroup, GROUP_SIZE, grouping } from '../../../machines/host-group.ts';
import type { DeployPlan } from '../../../machines/plan.ts';
import { fakeDeployMachine, gate, permanent, plan, type Fakes } from './fakes.ts';

const fleet = (n: number, overrides: Partial<DeployPlan> = {}): DeployPlan => {
  const hosts = Array.from({ length: n }, (_, i) => `h${i + 1}`);
  return plan({
    hosts,
    stageHosts: { pull: hosts, prepare: hosts, lock: ['h1'], network: hosts, proxy: hosts, stopStale: hosts, tagLatest: hosts, prune: hosts, unlock: ['h1'] },
    rolesOnHost: Object.fromEntries(hosts.map((h) => [h, [{ name: 'web', runsProxy: true }, { name: 'workers', runsProxy: false }]])),
    bootGroups: [hosts],
    ...overrides,
  });
};

async function run(fakes: Fakes, input: DeployPlan) {
  const actor = createActor(fakeDeployMachine(fakes), { input });
  actor.start();
  const output = await toPromise(actor);
  return { output, actor };
}

const stageCalls = (calls: string[], stage: string) => calls.filter((c) => c.endsWith(` ${stage}`)).map((c) => c.split(' ')[0]);

test('hosts are grouped in the plan order, GROUP_SIZE to a group; runs of one group keep the order given', () => {
  const hosts = Array.from({ length: 70 }, (_, i) => `h${i + 1}`);
  const { groups, groupOf } = grouping(hosts);
  assert.equal(groups.map((g) => g.length), [GROUP_SIZE, GROUP_SIZE, 70 - 2 * GROUP_SIZE]);
  assert.is(groupOf.get('h33'), 1);
  assert.equal(byGroup(hosts, ['h70', 'h1', 'h2', 'h40', 'h3']), [[2, ['h70']], [0, ['h1', 'h2']], [1, ['h40']], [0, ['h3']]]);
  assert.throws(() => byGroup(hosts, ['h71']), /h71 is not one of the plan's hosts/);
});

test('a fleet of three groups deploys every host and role, and each stage reaches its hosts in the plan\'s order', async () => {
  const input = fleet(70);
  const reversed = [...input.hosts].reverse();
  const interleaved = input.hosts.filter((_, i) => i % 2 === 0).concat(input.hosts.filter((_, i) => i % 2 === 1));
  input.stageHosts = { ...input.stageHosts, pull: reversed, network: interleaved };
  const fakes: Fakes = { calls: [], behave: () => undefined };
  const { output } = await run(fakes, input);
  assert.equal(output, { ok: true, failures: [] });
  assert.equal(stageCalls(fakes.calls, 'pull'), reversed);
  assert.equal(stageCalls(fakes.calls, 'network'), interleaved);
  assert.equal(stageCalls(fakes.calls, 'prune'), input.hosts);
  for (const host of input.hosts) {
    for (const role of ['web', 'workers']) assert.ok(fakes.calls.includes(`${host} ${role} stopOld`), `${host} ${role} swapped`);
  }
});

test('the barrier opened by a host of the first group lets the roles of the last group start', async () => {
  const h1Healthy = gate();
  const fakes: Fakes = {
    calls: [],
    behave: async (call) => {
      // Only h1's primary role ever gets healthy; every other web waits for it.
      if (call.endsWith(' web health') && call !== 'h1 web health') await h1Healthy.promise;
      if (call === 'h1 web stopOld') h1Healthy.open();
    },
  };
  const { output } = await run(fakes, fleet(70));
  assert.ok(output.ok);
  const firstWorkers = fakes.calls.findIndex((c) => c.endsWith(' workers start'));
  assert.ok(firstWorkers > fakes.calls.indexOf('h1 web health'), 'no other role starts before the barrier opens');
  assert.ok(fakes.calls.includes('h70 workers start'));
});

test('a barrier closed by the primary role stops the other roles in every group', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call.endsWith(' web health')) throw permanent('unhealthy');
    },
  };
  const { output } = await run(fakes, fleet(40, { rolesOnHost: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i + 1}`, [{ name: i === 0 ? 'web' : 'workers', runsProxy: i === 0 }]])) }));
  assert.not.ok(output.ok);
  assert.not.ok(fakes.calls.some((c) => c.endsWith(' workers start')), 'no workers container started');
  assert.ok(output.failures.some((f) => f.host === 'h40' && f.stage === 'barrier'), 'a host of the second group halted at the barrier');
});

test('boot groups (boot.limit) that straddle host groups boot one after another, their hooks around them', async () => {
  const input = fleet(40);
  const first = input.hosts.slice(0, 20);
  const second = input.hosts.slice(20);
  input.bootGroups = [first, second];
  const fakes: Fakes = { calls: [], behave: () => undefined };
  const { output } = await run(fakes, input);
  assert.ok(output.ok);
  const at = (call: string) => fakes.calls.indexOf(call);
  const lastOfFirst = Math.max(...first.map((h) => at(`${h} workers stopOld`)));
  const firstOfSecond = Math.min(...second.map((h) => at(`${h} web renameClash`)));
  assert.ok(lastOfFirst < at(`hook post-app-boot ${first.join(',')}`));
  assert.ok(at(`hook post-app-boot ${first.join(',')}`) < at(`hook pre-app-boot ${second.join(',')}`));
  assert.ok(at(`hook pre-app-boot ${second.join(',')}`) < firstOfSecond);
});

test('the persisted deployment holds its groups, and each group its hosts', () => {
  const fakes: Fakes = { calls: [], behave: () => new Promise<void>(() => {}) };
  const live = createActor(fakeDeployMachine(fakes), { input: fleet(40) });
  live.start();
  const persisted = JSON.parse(JSON.stringify(live.getPersistedSnapshot())) as { children: Record<string, { snapshot: { children: Record<string, unknown> } }> };
  live.stop();
  // (besides the hook the deployment is running)
  assert.equal(Object.keys(persisted.children).filter((id) => !id.includes('.')), ['hosts 1', 'hosts 2']);
  assert.is(Object.keys(persisted.children['hosts 1']?.snapshot.children ?? {}).length, GROUP_SIZE);
  assert.equal(Object.keys(persisted.children['hosts 2']?.snapshot.children ?? {}), ['h33', 'h34', 'h35', 'h36', 'h37', 'h38', 'h39', 'h40']);
});

test.run();
