// The role swap on its own (one role on one host), wired to fake step handlers by the engine's
// providedRoleSwapMachine and run under a parent that records what it reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromPromise, type AnyEventObject } from 'xstate';
import { backoffDelayMs } from '../../../machines/retry.ts';
import { providedRoleSwapMachine } from '../../../src/engine/run.ts';
import { fakeHandlers, gate, permanent, transient, type Fakes } from './fakes.ts';
import { underParent, type Harness } from './harness.ts';

const retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

interface SwapOptions {
  role?: string;
  // The primary role opens (or closes) the barrier; the others wait at it.
  primary?: boolean;
  barrier?: 'pending' | 'open' | 'closed';
}

function swap(fakes: Fakes, options: SwapOptions = {}): Harness {
  const role = options.role ?? 'web';
  const primary = options.primary ?? role === 'web';
  return underParent(providedRoleSwapMachine(fakeHandlers(fakes)), {
    host: 'h1',
    role,
    runsProxy: role === 'web',
    version: 'v2',
    gatekeeper: primary,
    barrier: options.barrier ?? 'pending',
    retry,
  });
}

const finished = (report: AnyEventObject) => report.type.startsWith('xstate.done.actor');

async function outcome(h: Harness) {
  return ((await h.until(finished)) as unknown as { output: Record<string, unknown> }).output;
}

const steps = (fakes: Fakes) => fakes.calls.map((c) => c.split(' ').slice(2).join(' '));

// The step that renames a clashing container and finds the running version comes first.
const RENAME = 'renameClash';

test('a healthy swap: rename/inspect, start, health, stop the old version; the old version reaches stopOld', async () => {
  const seen: Array<{ step: string; oldVersion?: string }> = [];
  const fakes: Fakes = { calls: [], behave: () => {}, oldVersion: () => 'v1' };
  const handlers = fakeHandlers(fakes);
  const h = underParent(
    providedRoleSwapMachine({ ...handlers, swapStep: (input) => (seen.push({ step: input.step, oldVersion: input.oldVersion }), handlers.swapStep(input)) }),
    { host: 'h1', role: 'web', runsProxy: true, version: 'v2', gatekeeper: true, barrier: 'pending', retry },
  );
  assert.equal(await outcome(h), { ok: true, halted: undefined, rolledBack: undefined, failure: undefined });
  assert.equal(steps(fakes), [RENAME, 'start', 'health', 'stopOld']);
  assert.equal(seen.at(-1), { step: 'stopOld', oldVersion: 'v1' });
  h.stop();
});

test("the new container's id, as the start step read it, reaches the health step", async () => {
  const seen: Array<{ step: string; containerId?: string }> = [];
  const fakes: Fakes = { calls: [], behave: () => {}, oldVersion: () => 'v1' };
  const handlers = fakeHandlers(fakes);
  const h = underParent(
    providedRoleSwapMachine({
      ...handlers,
      swapStep: async (input) => {
        seen.push({ step: input.step, containerId: input.containerId });
        const output = await handlers.swapStep(input);
        return input.step === 'start' ? { ...output, containerId: 'fe12ab34cd56' } : output;
      },
    }),
    { host: 'h1', role: 'web', runsProxy: true, version: 'v2', gatekeeper: true, barrier: 'pending', retry },
  );
  assert.equal((await outcome(h)).ok, true);
  assert.equal(seen.map((s) => s.containerId), [undefined, undefined, 'fe12ab34cd56', 'fe12ab34cd56']);
  h.stop();
});

test('a failed start is rolled back; the failure names the start step', async () => {
  const fakes: Fakes = { calls: [], behave: (call) => { if (call.endsWith(' start')) throw permanent('docker run exited 125'); } };
  const h = swap(fakes);
  const output = await outcome(h);
  assert.equal(steps(fakes), [RENAME, 'start', 'rollback']);
  assert.equal(output, {
    ok: false,
    halted: undefined,
    rolledBack: true,
    failure: { host: 'h1', role: 'web', stage: 'start', kind: 'permanent', message: 'docker run exited 125' },
  });
  h.stop();
});

test('an unhealthy new container is rolled back; the old one is not stopped', async () => {
  const fakes: Fakes = { calls: [], behave: (call) => { if (call.endsWith(' health')) throw permanent('target failed to become healthy'); } };
  const h = swap(fakes);
  const output = await outcome(h);
  assert.equal(steps(fakes), [RENAME, 'start', 'health', 'rollback']);
  assert.is(output.rolledBack, true);
  assert.equal(output.failure, { host: 'h1', role: 'web', stage: 'health', kind: 'permanent', message: 'target failed to become healthy' });
  h.stop();
});

test('a rollback that fails too: both messages are kept, and the swap is not marked rolled back', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call.endsWith(' health')) throw permanent('unhealthy');
      if (call.endsWith(' rollback')) throw permanent('docker start failed');
    },
  };
  const h = swap(fakes);
  const output = await outcome(h);
  assert.equal(steps(fakes), [RENAME, 'start', 'health', 'rollback']);
  assert.is(output.rolledBack, undefined);
  assert.equal(output.failure, { host: 'h1', role: 'web', stage: 'health', kind: 'permanent', message: 'unhealthy; rollback failed: docker start failed' });
  h.stop();
});

test('a failure before the new container starts, or while stopping the old one, is not rolled back', async () => {
  for (const failing of [RENAME, 'stopOld']) {
    const fakes: Fakes = { calls: [], behave: (call) => { if (call.endsWith(` ${failing}`)) throw permanent(`${failing} failed`); } };
    const h = swap(fakes);
    const output = await outcome(h);
    assert.not.ok(steps(fakes).includes('rollback'), `${failing}: no rollback`);
    assert.is(output.ok, false);
    assert.equal(output.failure, { host: 'h1', role: 'web', stage: failing, kind: 'permanent', message: `${failing} failed` });
    h.stop();
  }
});

test('transient failures are retried with the attempt number; one that outlasts the tries goes to rollback', async () => {
  const attempts: number[] = [];
  const fakes: Fakes = {
    calls: [],
    behave: (call, attempt) => {
      if (call.endsWith(' start')) {
        attempts.push(attempt);
        throw transient('connection reset');
      }
    },
  };
  const h = swap(fakes);
  const output = await outcome(h);
  assert.equal(attempts, [1, 2, 3]);
  assert.equal(steps(fakes), [RENAME, 'start', 'start', 'start', 'rollback']);
  assert.equal(output.failure, { host: 'h1', role: 'web', stage: 'start', kind: 'transient', message: 'connection reset' });
  h.stop();
});

test('a transient failure that passes on a retry goes on with the next step, whose attempts start at 1 again', async () => {
  const seen: string[] = [];
  const fakes: Fakes = {
    calls: [],
    behave: (call, attempt) => {
      seen.push(`${call.split(' ').at(-1)}#${attempt}`);
      if (call.endsWith(' health') && attempt === 1) throw transient();
    },
  };
  const h = swap(fakes);
  assert.is((await outcome(h)).ok, true);
  assert.equal(seen, [`${RENAME}#1`, 'start#1', 'health#1', 'health#2', 'stopOld#1']);
  h.stop();
});

test('another role waits at the barrier after renaming, and starts once it opens', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = swap(fakes, { role: 'workers' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(steps(fakes), [RENAME], 'nothing starts before the barrier opens');
  h.send({ type: 'BARRIER.OPENED' });
  assert.is((await outcome(h)).ok, true);
  assert.equal(steps(fakes), [RENAME, 'start', 'health', 'stopOld']);
  h.stop();
});

test('another role halts when the barrier closes: nothing is started, and the failure says why', async () => {
  const fakes: Fakes = { calls: [], behave: () => {} };
  const h = swap(fakes, { role: 'workers' });
  h.send({ type: 'BARRIER.CLOSED' });
  const output = await outcome(h);
  assert.equal(steps(fakes), [RENAME]);
  assert.equal(output, {
    ok: false,
    halted: true,
    rolledBack: undefined,
    failure: { host: 'h1', role: 'workers', stage: 'barrier', kind: 'permanent', message: 'First primary-role container is unhealthy, not booting workers on h1' },
  });
  h.stop();
});

test('barrier news that comes while the rename step still runs is kept for later', async () => {
  for (const [news, ok] of [['BARRIER.OPENED', true], ['BARRIER.CLOSED', false]] as const) {
    const renamed = gate();
    const fakes: Fakes = { calls: [], behave: (call) => (call.endsWith(` ${RENAME}`) ? renamed.promise : undefined) };
    const h = swap(fakes, { role: 'workers' });
    h.send({ type: news });
    renamed.open();
    const output = await outcome(h);
    assert.is(output.ok, ok, news);
    assert.equal(steps(fakes), ok ? [RENAME, 'start', 'health', 'stopOld'] : [RENAME], news);
    h.stop();
  }
});

test("the rename step hears whether the start follows it at once: the primary role's yes, another role's only with the barrier open", async () => {
  const told = async (options: SwapOptions) => {
    const fakes: Fakes = { calls: [], behave: () => {} };
    const handlers = fakeHandlers(fakes);
    const seen: Array<boolean | undefined> = [];
    const h = underParent(
      providedRoleSwapMachine({ ...handlers, swapStep: (input) => (input.step === 'renameClash' && seen.push(input.startFollows), handlers.swapStep(input)) }),
      { host: 'h1', role: options.role ?? 'web', runsProxy: true, version: 'v2', gatekeeper: options.primary ?? true, barrier: options.barrier ?? 'pending', retry },
    );
    await outcome(h);
    h.stop();
    return seen;
  };
  assert.equal(await told({ primary: true }), [true]);
  assert.equal(await told({ role: 'workers', primary: false, barrier: 'open' }), [true]);
  assert.equal(await told({ role: 'workers', primary: false, barrier: 'closed' }), [undefined]);
});

test('a role that starts with the barrier already open or closed does not wait', async () => {
  const open: Fakes = { calls: [], behave: () => {} };
  const h1 = swap(open, { role: 'workers', barrier: 'open' });
  assert.is((await outcome(h1)).ok, true);
  h1.stop();
  const closed: Fakes = { calls: [], behave: () => {} };
  const h2 = swap(closed, { role: 'workers', barrier: 'closed' });
  assert.is((await outcome(h2)).halted, true);
  assert.equal(steps(closed), [RENAME]);
  h2.stop();
});

test('the primary role opens the barrier as soon as its new container is healthy, before the old one is stopped', async () => {
  let reportsAtStopOld: string[] = [];
  const fakes: Fakes = {
    calls: [],
    behave: (call) => {
      if (call.endsWith(' stopOld')) reportsAtStopOld = h.reports().map((r) => r.type);
    },
  };
  const h = swap(fakes);
  assert.is((await outcome(h)).ok, true);
  assert.equal(reportsAtStopOld, ['BARRIER.OPEN']);
  assert.equal(h.reports().map((r) => r.type), ['BARRIER.OPEN', 'SWAP.FINISHED', 'xstate.done.actor.child']);
  assert.equal(h.reports()[1], { type: 'SWAP.FINISHED', role: 'web', output: { ok: true, halted: undefined, rolledBack: undefined, failure: undefined } });
  h.stop();
});

test('the primary role closes the barrier when its container never becomes healthy; a failed stopOld leaves it open', async () => {
  for (const [failing, barrier] of [[RENAME, 'BARRIER.CLOSE'], ['start', 'BARRIER.CLOSE'], ['health', 'BARRIER.CLOSE'], ['stopOld', 'BARRIER.OPEN']] as const) {
    const fakes: Fakes = { calls: [], behave: (call) => { if (call.endsWith(` ${failing}`)) throw permanent(); } };
    const h = swap(fakes);
    assert.is((await outcome(h)).ok, false);
    assert.equal(h.reports().filter((r) => r.type.startsWith('BARRIER.')).map((r) => r.type), [barrier], failing);
    h.stop();
  }
});

test('another role never reports on the barrier', async () => {
  const fakes: Fakes = { calls: [], behave: (call) => { if (call.endsWith(' health')) throw permanent(); } };
  const h = swap(fakes, { role: 'workers', barrier: 'open' });
  assert.is((await outcome(h)).rolledBack, true);
  assert.equal(h.reports().map((r) => r.type), ['SWAP.FINISHED', 'xstate.done.actor.child']);
  h.stop();
});

test('the events a swap emits: each step with its attempt, the retry with its delay, the rollback', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call, attempt) => {
      if (call.endsWith(' start') && attempt === 1) throw transient('connection reset');
      if (call.endsWith(' health')) throw permanent('unhealthy');
    },
  };
  // The clock is an actor: with a fixed reading the retry deadline, and so the events, are fixed too.
  const machine = providedRoleSwapMachine(fakeHandlers(fakes)).provide({
    actors: { readClock: fromPromise(async () => ({ now: 1_000, random: 0.5 })) },
  });
  const h = underParent(machine, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', gatekeeper: true, barrier: 'pending', retry });
  await outcome(h);
  const events = h.emitted;
  const delayMs = backoffDelayMs(1, retry, 0.5);
  assert.equal(events, [
    { type: 'swap.step', host: 'h1', role: 'web', step: RENAME, attempt: 1 },
    { type: 'swap.step', host: 'h1', role: 'web', step: 'start', attempt: 1 },
    { type: 'retry.scheduled', host: 'h1', role: 'web', step: 'start', attempt: 2, delayMs, reason: 'connection reset' },
    { type: 'swap.step', host: 'h1', role: 'web', step: 'start', attempt: 2 },
    { type: 'swap.step', host: 'h1', role: 'web', step: 'health', attempt: 1 },
    { type: 'rollback.started', host: 'h1', role: 'web', reason: 'unhealthy' },
    { type: 'swap.step', host: 'h1', role: 'web', step: 'rollback', attempt: 1 },
    { type: 'rollback.finished', host: 'h1', role: 'web', ok: true },
  ]);
  h.stop();
});

test.run();
