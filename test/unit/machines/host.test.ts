// One server's machine on its own, wired to fake step handlers by the engine's providedHostMachine
// and run under a parent that plays the deployment: it sends RUN/BOOT and barrier news, and records
// what the host reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnyEventObject } from 'xstate';
import type { RolePlan } from '../../../machines/plan.ts';
import { providedHostMachine } from '../../../src/engine/run.ts';
import { callsOf, fakeHandlers, gate, permanent, transient, type Fakes } from './fakes.ts';
import { underParent, type Harness } from './harness.ts';

const WEB: RolePlan = { name: 'web', runsProxy: true };
const WORKERS: RolePlan = { name: 'workers', runsProxy: false };
const RENAME = 'renameClash';
const SWAP = [RENAME, 'start', 'health', 'stopOld'];

function host(fakes: Fakes, roles: RolePlan[] = [WEB, WORKERS]): Harness {
  return underParent(
    providedHostMachine(fakeHandlers(fakes)),
    { host: 'h1', roles, version: 'v2', primaryRole: 'web', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } },
    'h1',
  );
}

const reported = (h: Harness) => h.reports().filter((r) => r.type.startsWith('HOST.') || r.type.startsWith('BARRIER.'));
const isDoneOrFailed = (stage: string) => (r: AnyEventObject) => (r.type === 'HOST.DONE' || r.type === 'HOST.FAILED') && r.stage === stage;

test('a stage runs the step once and reports it done; the host then takes the next stage', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes);
  h.send({ type: 'RUN', stage: 'pull' });
  await h.until(isDoneOrFailed('pull'));
  h.send({ type: 'RUN', stage: 'network' });
  await h.until(isDoneOrFailed('network'));
  assert.equal(callsOf(fakes.calls, 'h1'), ['pull', 'network']);
  assert.equal(reported(h), [
    { type: 'HOST.DONE', host: 'h1', stage: 'pull' },
    { type: 'HOST.DONE', host: 'h1', stage: 'network' },
  ]);
  h.stop();
});

test('a transient failure is retried until it passes; the attempt number reaches the step', async () => {
  const attempts: number[] = [];
  const fakes: Fakes = {
    calls: [],
    behave: (_call, attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw transient();
    },
  };
  const h = host(fakes);
  h.send({ type: 'RUN', stage: 'proxy' });
  assert.is((await h.until(isDoneOrFailed('proxy'))).type, 'HOST.DONE');
  assert.equal(attempts, [1, 2, 3]);
  h.stop();
});

test('a transient failure that outlasts the tries, or a permanent one, is reported with its kind', async () => {
  for (const [kind, error, tries] of [['transient', transient('connection refused'), 3], ['permanent', permanent('exit 1'), 1]] as const) {
    const fakes: Fakes = { calls: [], behave: () => { throw error; } };
    const h = host(fakes);
    h.send({ type: 'RUN', stage: 'pull' });
    const report = await h.until(isDoneOrFailed('pull'));
    assert.is(fakes.calls.length, tries);
    assert.equal(report, {
      type: 'HOST.FAILED',
      host: 'h1',
      stage: 'pull',
      failure: { host: 'h1', stage: 'pull', kind, message: error.message },
    });
    // A failed stage leaves the host ready for the next one (the deployment's lock release).
    h.send({ type: 'RUN', stage: 'unlock' });
    assert.is((await h.until(isDoneOrFailed('unlock'))).type, 'HOST.FAILED');
    h.stop();
  }
});

test('BOOT swaps the roles one after another, primary first, and opens the barrier for the primary role only', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes);
  h.send({ type: 'BARRIER.OPENED' }); // the deployment forwards the barrier to every host
  h.send({ type: 'BOOT' });
  await h.until(isDoneOrFailed('boot'));
  assert.equal(callsOf(fakes.calls, 'h1'), [...SWAP.map((s) => `web ${s}`), ...SWAP.map((s) => `workers ${s}`)]);
  assert.equal(reported(h), [
    { type: 'BARRIER.OPEN', host: 'h1' },
    { type: 'HOST.DONE', host: 'h1', stage: 'boot' },
  ]);
  h.stop();
});

test('a role that fails is rolled back, the host boots none of its other roles, and the barrier closes', async () => {
  const fakes: Fakes = { calls: [], behave: (call) => { if (call === 'h1 web health') throw permanent('unhealthy'); } };
  const h = host(fakes);
  h.send({ type: 'BOOT' });
  const report = await h.until(isDoneOrFailed('boot'));
  assert.equal(callsOf(fakes.calls, 'h1'), [`web ${RENAME}`, 'web start', 'web health', 'web rollback']);
  assert.equal(report, {
    type: 'HOST.FAILED',
    host: 'h1',
    stage: 'boot',
    failure: { host: 'h1', role: 'web', stage: 'health', kind: 'permanent', message: 'unhealthy' },
  });
  assert.equal(reported(h).map((r) => r.type), ['BARRIER.CLOSE', 'HOST.FAILED']);
  h.stop();
});

test('a host without the primary role waits for the barrier, with the news passed on to its role swap', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes, [WORKERS]);
  h.send({ type: 'BOOT' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(callsOf(fakes.calls, 'h1'), [`workers ${RENAME}`]);
  h.send({ type: 'BARRIER.OPENED' });
  assert.is((await h.until(isDoneOrFailed('boot'))).type, 'HOST.DONE');
  assert.equal(callsOf(fakes.calls, 'h1'), SWAP.map((s) => `workers ${s}`));
  assert.not.ok(h.reports().some((r) => r.type.startsWith('BARRIER.')), 'only the primary role reports the barrier');
  h.stop();
});

test('barrier news during the rename step reaches the role swap; a closed barrier fails the boot without starting anything', async () => {
  const renamed = gate();
  const fakes: Fakes = { calls: [], behave: (call) => (call.endsWith(RENAME) ? renamed.promise : undefined) };
  const h = host(fakes, [WORKERS]);
  h.send({ type: 'BOOT' });
  h.send({ type: 'BARRIER.CLOSED' });
  renamed.open();
  const report = await h.until(isDoneOrFailed('boot'));
  assert.equal(callsOf(fakes.calls, 'h1'), [`workers ${RENAME}`]);
  assert.equal((report as unknown as { failure: { stage: string } }).failure.stage, 'barrier');
  h.stop();
});

test('news of the barrier before BOOT is kept: a later boot of another role does not wait', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = host(fakes, [WORKERS]);
  h.send({ type: 'BARRIER.OPENED' });
  h.send({ type: 'BOOT' });
  assert.is((await h.until(isDoneOrFailed('boot'))).type, 'HOST.DONE');
  assert.equal(callsOf(fakes.calls, 'h1'), SWAP.map((s) => `workers ${s}`));
  h.stop();
});

test('a transient failure in a role swap step is retried inside the swap', async () => {
  const fakes: Fakes = { calls: [], behave: (call, attempt) => { if (call === 'h1 web start' && attempt === 1) throw transient(); } };
  const h = host(fakes, [WEB]);
  h.send({ type: 'BOOT' });
  assert.is((await h.until(isDoneOrFailed('boot'))).type, 'HOST.DONE');
  assert.equal(callsOf(fakes.calls, 'h1'), [`web ${RENAME}`, 'web start', 'web start', 'web health', 'web stopOld']);
  h.stop();
});

test('each role swap is a child of the host named after its role', async () => {
  const webStarted = gate();
  const letWebGo = gate();
  const fakes: Fakes = {
    calls: [],
    behave: async (call) => {
      if (call === 'h1 web start') {
        webStarted.open();
        await letWebGo.promise;
      }
    },
  };
  const h = host(fakes);
  h.send({ type: 'BARRIER.OPENED' });
  h.send({ type: 'BOOT' });
  await webStarted.promise;
  assert.equal(Object.keys(h.childSnapshot().children), ['web']);
  letWebGo.open();
  await h.until(isDoneOrFailed('boot'));
  assert.equal(Object.keys(h.childSnapshot().children), [], 'finished swaps are stopped');
  h.stop();
});

test("the deployment hears the primary role's barrier news before its old container is stopped", async () => {
  let reportsAtStopOld: string[] = [];
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call === 'h1 web stopOld') reportsAtStopOld = reported(h).map((r) => r.type);
    },
  };
  const h = host(fakes, [WEB]);
  h.send({ type: 'BOOT' });
  await h.until(isDoneOrFailed('boot'));
  assert.equal(reportsAtStopOld, ['BARRIER.OPEN']);
  h.stop();
});

test('the events a host emits: each stage and the boot, started and finished, and its retries', async () => {
  const fakes: Fakes = { calls: [], behave: (call, attempt) => { if (call === 'h1 pull' && attempt === 1) throw transient('connection reset'); } };
  const h = host(fakes, [WEB]);
  h.send({ type: 'RUN', stage: 'pull' });
  await h.until(isDoneOrFailed('pull'));
  h.send({ type: 'BOOT' });
  await h.until(isDoneOrFailed('boot'));
  const own = h.emitted.filter((e) => e.type.startsWith('host.') || (e.type === 'retry.scheduled' && e.role === undefined));
  assert.equal(
    own.map((e) => ({ ...e, delayMs: undefined })),
    [
      { type: 'host.stage.started', host: 'h1', stage: 'pull', delayMs: undefined },
      { type: 'retry.scheduled', host: 'h1', step: 'pull', attempt: 2, reason: 'connection reset', delayMs: undefined },
      { type: 'host.stage.finished', host: 'h1', stage: 'pull', ok: true, delayMs: undefined },
      { type: 'host.stage.started', host: 'h1', stage: 'boot', delayMs: undefined },
      { type: 'host.stage.finished', host: 'h1', stage: 'boot', ok: true, delayMs: undefined },
    ],
  );
  const delayMs = own.find((e) => e.type === 'retry.scheduled')?.delayMs;
  assert.ok(delayMs >= 1 && delayMs <= 2, `the first retry waits half to all of the base delay: ${delayMs}`);
  h.stop();
});

test.run();
