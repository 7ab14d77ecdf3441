// What the deployment machine tells the outside world and which states it passes through, where
// the mutation run of machines/ found nothing looking (docs/mutation.md): the ok flag of every
// stage.finished and host.stage.finished, the lock events, boot.wait between boot groups, a
// barrier that stays closed, and a revert policy with no host switched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise, type AnyEventObject } from 'xstate';
import type { DeployPlan } from '../../../machines/plan.ts';
import { fakeDeployMachine, gate, permanent, plan, type Fakes } from './fakes.ts';

function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => leaves(child, `${prefix}${key}.`));
}

async function run(fakes: Fakes, overrides: Partial<DeployPlan> = {}) {
  const events: AnyEventObject[] = [];
  let root = true;
  // What the deployment and every actor under it (host groups, hosts, role swaps) emitted.
  const actor = createActor(fakeDeployMachine(fakes), {
    input: plan(overrides),
    inspect: (inspection) => {
      if (inspection.type !== '@xstate.actor') return;
      // The first actor is the deployment itself, heard through actor.on below.
      if (root) return void (root = false);
      const ref = inspection.actorRef as { on?: (type: '*', listener: (e: AnyEventObject) => void) => void };
      ref.on?.('*', (event) => events.push(event));
    },
  });
  // Every state value of the deployment actor (its leaves as dotted paths), in order.
  const states: string[] = [];
  // The boot deadline in context on entering bootWait.waiting, and when the state before was seen.
  const bootDeadlines: Array<{ waitUntil: number; before: number }> = [];
  let lastSeenAt = Date.now();
  actor.on('*', (event) => events.push(event));
  actor.subscribe((snapshot) => {
    const now = leaves(snapshot.value).join(',');
    if (now.includes('bootWait.waiting') && !states.at(-1)?.includes('bootWait.waiting')) {
      bootDeadlines.push({ waitUntil: snapshot.context.waitUntil ?? 0, before: lastSeenAt });
    }
    if (states.at(-1) !== now) states.push(now);
    lastSeenAt = Date.now();
  });
  actor.start();
  const output = await toPromise(actor);
  return { output, events, states, bootDeadlines };
}

const ok = (): Fakes => ({ calls: [], behave: () => {}, oldVersion: () => 'v1' });

test('a deploy that succeeds: every stage finishes ok in the plan order, every host stage ok, the lock acquired then released on the primary', async () => {
  const { output, events } = await run(ok());
  assert.ok(output.ok);
  const stages = events.filter((e) => e.type === 'stage.finished');
  assert.equal(stages.map((e) => e.stage), plan().stages);
  assert.ok(stages.every((e) => e.ok === true), JSON.stringify(stages));
  const hostStages = events.filter((e) => e.type === 'host.stage.finished');
  assert.ok(hostStages.length > 0);
  assert.ok(hostStages.every((e) => e.ok === true), JSON.stringify(hostStages.filter((e) => !e.ok)));
  assert.equal(events.filter((e) => e.type.startsWith('lock.')), [{ type: 'lock.acquired', host: 'h1' }, { type: 'lock.released', host: 'h1' }]);
});

test('a stage that fails finishes with ok false, for the stage and the host; the stages before it were ok; the lock is released', async () => {
  const fakes: Fakes = { ...ok(), behave: (call) => void (call === 'h2 proxy' && (() => { throw permanent('proxy refused'); })()) };
  const { output, events } = await run(fakes);
  assert.not.ok(output.ok);
  const finished = events.filter((e) => e.type === 'stage.finished').map((e) => `${e.stage} ${e.ok}`);
  // The lock is given back by releasingLock, which is no stage of the plan.
  assert.equal(finished, ['preConnect true', 'pull true', 'prepare true', 'lock true', 'preDeploy true', 'network true', 'proxy false']);
  assert.equal(events.filter((e) => e.type === 'host.stage.finished' && e.stage === 'proxy').map((e) => `${e.host} ${e.ok}`).sort(), ['h1 true', 'h2 false']);
  assert.equal(events.filter((e) => e.type.startsWith('lock.')).map((e) => e.type), ['lock.acquired', 'lock.released']);
});

test('a boot that fails on a host finishes that host boot with ok false, and the boot stage with ok false', async () => {
  const fakes: Fakes = { ...ok(), behave: (call) => void (call === 'h2 workers start' && (() => { throw permanent('no such image'); })()) };
  const { output, events } = await run(fakes);
  assert.not.ok(output.ok);
  assert.equal(events.filter((e) => e.type === 'host.stage.finished' && e.stage === 'boot').map((e) => `${e.host} ${e.ok}`).sort(), ['h1 true', 'h2 false']);
  assert.equal(events.filter((e) => e.type === 'stage.finished' && e.stage === 'boot').map((e) => e.ok), [false]);
});

test('a failed unlock after a failed stage is reported with it', async () => {
  const fakes: Fakes = {
    ...ok(),
    behave: (call) => {
      if (call === 'h2 network') throw permanent('network refused');
      if (call === 'h1 unlock') throw permanent('primary gone');
    },
  };
  const { output } = await run(fakes);
  assert.equal(output.failures.map((f) => `${f.host} ${f.stage}`), ['h2 network', 'h1 unlock']);
});

test('boot.wait: the machine waits after every boot group, the last one too, until now + boot.wait seconds', async () => {
  const { output, states, bootDeadlines, events } = await run(ok(), { bootGroups: [['h1'], ['h2']], bootWaitSeconds: 0.05 });
  assert.ok(output.ok);
  assert.is(bootDeadlines.length, 2, states.join('\n'));
  for (const { waitUntil, before } of bootDeadlines) {
    // `before` is when the state before was seen, a moment after the clock was read.
    assert.ok(waitUntil - before >= 40, `the deadline is about 50 ms after the clock was read: ${waitUntil - before}`);
    assert.ok(waitUntil - before < 60_000, `and not far beyond: ${waitUntil - before}`);
  }
  assert.ok(events.some((e) => e.type === 'stage.finished' && e.stage === 'tagLatest'));
});

test('no boot.wait: no waiting state at all', async () => {
  const { states } = await run(ok(), { bootGroups: [['h1'], ['h2']] });
  assert.not.ok(states.some((s) => s.includes('bootWait')), states.join('\n'));
  const zero = await run(ok(), { bootGroups: [['h1'], ['h2']], bootWaitSeconds: 0 });
  assert.not.ok(zero.states.some((s) => s.includes('bootWait')));
});

test('a barrier closed by the first primary-role failure stays closed: a later healthy primary container does not open it', async () => {
  const h1Failed = gate();
  const fakes: Fakes = {
    ...ok(),
    behave: async (call) => {
      if (call === 'h1 web health') {
        setTimeout(h1Failed.open, 0);
        throw permanent('target failed to become healthy');
      }
      if (call === 'h2 web health') await h1Failed.promise;
    },
  };
  const { output, events } = await run(fakes);
  assert.not.ok(output.ok);
  assert.equal(events.filter((e) => e.type.startsWith('barrier.')), [{ type: 'barrier.closed', host: 'h1' }]);
});

test('revert with no host switched yet: nothing to revert, the machine never enters reverting', async () => {
  const fakes: Fakes = { ...ok(), behave: (call) => void (call.endsWith('web health') && (() => { throw permanent('unhealthy'); })()) };
  const { output, states } = await run(fakes, { fleet: { maxFailures: 0, onFailure: 'revert' } });
  assert.not.ok(output.ok);
  assert.not.ok(fakes.calls.some((c) => c.endsWith(' revert')));
  assert.not.ok(states.some((s) => s.includes('reverting')), states.join('\n'));
});

test('parallel_roles in the plan reaches the hosts: once the barrier is open, both roles of a host start before either is healthy', async () => {
  // h2's health checks fail when they come before both of its roles have started.
  const strict = (): Fakes => {
    let started = 0;
    return {
      ...ok(),
      behave: (call) => {
        if (call === 'h2 web start' || call === 'h2 workers start') started++;
        if ((call === 'h2 web health' || call === 'h2 workers health') && started < 2) throw permanent(`${call} before both roles started`);
      },
    };
  };
  const parallel = await run(strict(), { parallelRoles: true, bootGroups: [['h1'], ['h2']] });
  assert.equal(parallel.output.failures, []);
  const sequential = await run(strict(), { bootGroups: [['h1'], ['h2']] });
  assert.ok(sequential.output.failures.some((f) => f.host === 'h2' && f.stage === 'health'), 'without parallel_roles the roles go one after another');
});

test.run();
