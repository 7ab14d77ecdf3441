import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise } from 'xstate';
import { stagesFor } from '../../../src/engine/plan.ts';
import { providedDeployMachine } from '../../../src/engine/run.ts';
import { callsOf, fakeDeployMachine, fakeHandlers, gate, permanent, plan, transient, type Fakes } from './fakes.ts';

async function run(fakes: Fakes, overrides = {}) {
  const actor = createActor(fakeDeployMachine(fakes), { input: plan(overrides) });
  actor.start();
  return toPromise(actor);
}

test('a deploy walks every stage in order; the lock is taken and released on the primary only', async () => {
  const fakes: Fakes = { calls: [], behave: () => {}, oldVersion: () => 'v1' };
  const output = await run(fakes);
  assert.equal(output, { ok: true, failures: [] });
  const swap = ['renameClash', 'start', 'health', 'stopOld'];
  assert.equal(callsOf(fakes.calls, 'h1'), [
    'pull', 'prepare', 'lock', 'network', 'proxy', 'stopStale',
    ...swap.map((s) => `web ${s}`), ...swap.map((s) => `workers ${s}`),
    'tagLatest', 'prune', 'unlock',
  ]);
  assert.equal(callsOf(fakes.calls, 'h2'), [
    'pull', 'prepare', 'network', 'proxy', 'stopStale',
    ...swap.map((s) => `web ${s}`), ...swap.map((s) => `workers ${s}`),
    'tagLatest', 'prune',
  ]);
  const hooks = fakes.calls.filter((c) => c.startsWith('hook'));
  assert.equal(hooks, [
    'hook pre-connect h1,h2', 'hook pre-deploy h1,h2', 'hook pre-app-boot h1,h2', 'hook post-app-boot h1,h2', 'hook post-deploy h1,h2',
  ]);
  // No host starts a stage before every host finished the previous one.
  const firstNetwork = fakes.calls.indexOf('h1 network');
  assert.ok(fakes.calls.indexOf('h2 prepare') < firstNetwork);
});

test('boot groups run one after another with their hooks', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  await run(fakes, { bootGroups: [['h1'], ['h2']] });
  const interesting = fakes.calls.filter((c) => c.includes('app-boot') || c.endsWith('web start'));
  assert.equal(interesting, [
    'hook pre-app-boot h1', 'h1 web start', 'hook post-app-boot h1',
    'hook pre-app-boot h2', 'h2 web start', 'hook post-app-boot h2',
  ]);
});

test('a transient failure is retried with backoff until it passes', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call, attempt) => {
      if (call === 'h2 pull' && attempt < 3) throw transient();
    },
  };
  const output = await run(fakes);
  assert.ok(output.ok);
  assert.is(fakes.calls.filter((c) => c === 'h2 pull').length, 3);
});

test('a transient failure that outlasts the tries fails the deploy and releases the lock', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call === 'h2 proxy') throw transient('dial tcp: connection refused');
    },
  };
  const output = await run(fakes);
  assert.not.ok(output.ok);
  assert.is(fakes.calls.filter((c) => c === 'h2 proxy').length, 3);
  assert.equal(output.failures, [{ host: 'h2', stage: 'proxy', kind: 'transient', message: 'dial tcp: connection refused' }]);
  assert.is(fakes.calls.at(-1), 'h1 unlock');
  assert.not.ok(fakes.calls.includes('h1 stopStale'), 'nothing after the failed stage runs');
});

test('a permanent failure is not retried', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call === 'h1 pull') throw permanent('manifest unknown');
    },
  };
  const output = await run(fakes);
  assert.not.ok(output.ok);
  assert.is(fakes.calls.filter((c) => c === 'h1 pull').length, 1);
  assert.not.ok(fakes.calls.includes('h1 lock'), 'a failure before the lock takes no lock');
  assert.not.ok(fakes.calls.includes('h1 unlock'));
});

test('an unhealthy new container is rolled back, the host boots no other role, and the lock is released', async () => {
  const h1WebHealthy = gate();
  const fakes: Fakes = {
    calls: [],
    // h1's web is healthy first, so the barrier opens and h1's workers boot.
    behave: async (call) => {
      if (call === 'h1 web stopOld') h1WebHealthy.open();
      if (call === 'h2 web health') {
        await h1WebHealthy.promise;
        throw permanent('target failed to become healthy');
      }
    },
    oldVersion: () => 'v1',
  };
  const output = await run(fakes);
  assert.not.ok(output.ok);
  assert.equal(callsOf(fakes.calls, 'h2').filter((c) => c.startsWith('web') || c.startsWith('workers')), [
    'web renameClash', 'web start', 'web health', 'web rollback',
  ]);
  assert.equal(output.failures, [
    { host: 'h2', role: 'web', stage: 'health', kind: 'permanent', message: 'target failed to become healthy' },
  ]);
  assert.ok(fakes.calls.includes('h1 workers stopOld'), 'the healthy host boots all its roles');
  assert.ok(fakes.calls.includes('h1 unlock'));
  assert.not.ok(fakes.calls.includes('h1 tagLatest'), 'latest is not tagged after a failed boot');
  assert.not.ok(fakes.calls.some((c) => c.startsWith('hook post-deploy')));
});

test('when the first primary-role container fails, other roles wait at the barrier and do not start', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call.endsWith('web health')) throw permanent('unhealthy');
    },
  };
  const output = await run(fakes, {
    rolesOnHost: { h1: [{ name: 'web', runsProxy: true }], h2: [{ name: 'workers', runsProxy: false }] },
  });
  assert.not.ok(output.ok);
  assert.equal(callsOf(fakes.calls, 'h2').filter((c) => c.startsWith('workers')), ['workers renameClash']);
  assert.ok(output.failures.some((f) => f.host === 'h2' && f.stage === 'barrier'));
});

test('the barrier opens once the first primary-role container is healthy: other roles start before its old container is stopped', async () => {
  const workersStarted = gate();
  let barrierAtStopOld: string | undefined;
  const fakes: Fakes = {
    calls: [],
    behave: async (call) => {
      if (call === 'h2 workers start') workersStarted.open();
      if (call === 'h1 web stopOld') {
        barrierAtStopOld = actor.getSnapshot().context.barrier;
        // Stopping the old container waits for the other role; with the barrier still closed
        // here, that would never come, so the step fails instead of hanging the test.
        if (barrierAtStopOld !== 'open') throw permanent('the barrier is not open while the old web container is stopped');
        await workersStarted.promise;
      }
    },
  };
  const actor = createActor(fakeDeployMachine(fakes), {
    input: plan({ rolesOnHost: { h1: [{ name: 'web', runsProxy: true }], h2: [{ name: 'workers', runsProxy: false }] } }),
  });
  const events: Array<{ type: string }> = [];
  actor.on('*', (event) => events.push(event));
  actor.start();
  const output = await toPromise(actor);
  assert.equal(output, { ok: true, failures: [] });
  assert.is(barrierAtStopOld, 'open');
  assert.equal(events.filter((e) => e.type.startsWith('barrier.')), [{ type: 'barrier.opened', host: 'h1' }]);
});

test('a failing stopOld on the first primary host does not close the barrier: the other hosts boot every role', async () => {
  const h1StoppingOld = gate();
  const fakes: Fakes = {
    calls: [],
    behave: async (call) => {
      // h1's web is the first healthy primary-role container.
      if (call === 'h2 web health') await h1StoppingOld.promise;
      if (call === 'h1 web stopOld') {
        h1StoppingOld.open();
        throw permanent('docker stop timed out');
      }
    },
    oldVersion: () => 'v1',
  };
  const actor = createActor(fakeDeployMachine(fakes), { input: plan() });
  const events: Array<{ type: string }> = [];
  actor.on('*', (event) => events.push(event));
  actor.start();
  const output = await toPromise(actor);
  assert.equal(output.failures, [{ host: 'h1', role: 'web', stage: 'stopOld', kind: 'permanent', message: 'docker stop timed out' }]);
  assert.equal(callsOf(fakes.calls, 'h2').filter((c) => c.startsWith('web') || c.startsWith('workers')), [
    'web renameClash', 'web start', 'web health', 'web stopOld',
    'workers renameClash', 'workers start', 'workers health', 'workers stopOld',
  ]);
  assert.not.ok(fakes.calls.includes('h1 workers start'), "the failed host's other roles do not start");
  assert.equal(events.filter((e) => e.type.startsWith('barrier.')), [{ type: 'barrier.opened', host: 'h1' }]);
  assert.ok(fakes.calls.includes('h1 unlock'), 'the lock is released');
});

test('a failing hook fails the deploy before any server is touched', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call.startsWith('hook pre-connect')) throw permanent('Hook `pre-connect` failed');
    },
  };
  const output = await run(fakes);
  assert.not.ok(output.ok);
  assert.equal(fakes.calls, ['hook pre-connect h1,h2']);
  assert.equal(output.failures, [{ stage: 'preConnect', kind: 'permanent', message: 'Hook `pre-connect` failed' }]);
});

test("every command's stage list, with and without -P and KAMAL_LOCK=true, is walked whole and in order", async () => {
  for (const command of ['deploy', 'redeploy', 'rollback', 'setup', 'boot'] as const) {
    for (const skipPush of [false, true]) {
      for (const lockInherited of [false, true]) {
        const stages = stagesFor({ command, skipPush, lockInherited });
        const fakes: Fakes = { calls: [], behave: () => {} };
        const actor = createActor(fakeDeployMachine(fakes), {
          input: plan({ command, stages, stageHosts: { ...plan().stageHosts, bootstrap: ['h1', 'h2'], checkRollback: ['h1', 'h2'] } }),
        });
        const started: string[] = [];
        actor.on('stage.started', (event) => started.push(event.stage));
        actor.start();
        const output = await toPromise(actor);
        const name = `${command}${skipPush ? ' -P' : ''}${lockInherited ? ' KAMAL_LOCK=true' : ''}`;
        assert.equal(output, { ok: true, failures: [] }, name);
        assert.equal(started, stages, name);
      }
    }
  }
});

test('a plan listing stages out of the chart\'s order fails instead of skipping them', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const output = await run(fakes, { stages: ['preConnect', 'unlock', 'lock'] });
  assert.is(output.ok, false);
  assert.equal(output.failures, [{ stage: 'plan', kind: 'permanent', message: "The plan's stages lock are not in the deployment's order" }]);
});

test('hooks see the lock (KAMAL_LOCK) exactly when they run under it', async () => {
  const locks: string[] = [];
  const fakes: Fakes = { calls: [], behave: () => {} };
  const handlers = fakeHandlers(fakes);
  const actor = createActor(
    providedDeployMachine({ ...handlers, hook: (input) => (locks.push(`${input.name} ${input.lock}`), handlers.hook(input)) }),
    { input: plan({ stages: stagesFor({ command: 'setup', skipPush: true, lockInherited: false }) }) },
  );
  actor.start();
  assert.ok((await toPromise(actor)).ok);
  assert.equal(locks, ['pre-connect false', 'docker-setup true', 'pre-deploy true', 'pre-app-boot true', 'post-app-boot true', 'post-deploy true']);
});

test('a failure under the lock releases it; a failure taking the lock, or with an inherited lock, releases nothing', async () => {
  const failing = (stage: string) => ({ calls: [] as string[], behave: (call: string) => { if (call === `h1 ${stage}`) throw permanent(`${stage} failed`); } });
  const under = failing('network');
  assert.not.ok((await run(under)).ok);
  assert.is(under.calls.at(-1), 'h1 unlock');
  const taking = failing('lock');
  assert.not.ok((await run(taking)).ok);
  assert.not.ok(taking.calls.includes('h1 unlock'));
  const inherited = failing('network');
  assert.not.ok((await run(inherited, { stages: stagesFor({ command: 'deploy', skipPush: true, lockInherited: true }) })).ok);
  assert.not.ok(inherited.calls.includes('h1 unlock'));
});

test.run();
