// The retry helpers every retrying machine shares: the backoff delay (exponential, capped, with
// equal jitter) and sleepUntil, which waits until an absolute time so that a wait restored from a
// snapshot ends when it would have. The waits run on node's fake clock (mock.timers), so the
// tests say exactly when a wait ends without taking any real time.
import { mock } from 'node:test';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assign, createActor, setup } from 'xstate';
import { backoffDelayMs, sleepUntil } from '../../../machines/retry.ts';

const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };

test('backoffDelayMs: doubles per attempt from the base, capped; jitter 0 gives half, jitter 1 the whole', () => {
  // [attempt, delay at jitter 0, delay at jitter 1]
  const table: Array<[number, number, number]> = [
    [1, 50, 100],
    [2, 100, 200],
    [3, 200, 400],
    [4, 400, 800],
    [5, 500, 1000], // 1600 capped at 1000
    [6, 500, 1000],
    [20, 500, 1000],
  ];
  for (const [attempt, low, high] of table) {
    assert.is(backoffDelayMs(attempt, policy, 0), low, `attempt ${attempt}, jitter 0`);
    assert.is(backoffDelayMs(attempt, policy, 1), high, `attempt ${attempt}, jitter 1`);
  }
});

test('backoffDelayMs: jitter in between lands in between; the cap applies before the jitter', () => {
  assert.is(backoffDelayMs(3, policy, 0.5), 300);
  assert.is(backoffDelayMs(3, policy, 0.25), 250);
  assert.is(backoffDelayMs(7, policy, 0.5), 750);
  assert.is(backoffDelayMs(2, { attempts: 3, baseDelayMs: 300, maxDelayMs: 400 }, 1), 400);
  assert.is(backoffDelayMs(2, { attempts: 3, baseDelayMs: 300, maxDelayMs: 400 }, 0), 200);
});

// Lets the promise callbacks queued by a timer that fired run (xstate's fromPromise settles in
// a `.then`); setImmediate is left real, so this does not move the fake clock.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function withFakeClock(now: number, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now });
    try {
      await body();
    } finally {
      mock.timers.reset();
    }
  };
}

const T0 = 1_700_000_000_000;

test(
  'sleepUntil: still waiting 1 ms before its deadline, done at it',
  withFakeClock(T0, async () => {
    const actor = createActor(sleepUntil, { input: { until: T0 + 5000 } }).start();
    await settle();
    assert.is(actor.getSnapshot().status, 'active', 'not done at once');
    mock.timers.tick(4999);
    await settle();
    assert.is(actor.getSnapshot().status, 'active', 'still waiting at 4999 ms');
    mock.timers.tick(1);
    await settle();
    assert.is(actor.getSnapshot().status, 'done', 'done at 5000 ms');
  }),
);

test(
  'sleepUntil: a deadline already past ends the wait without waiting',
  withFakeClock(T0, async () => {
    const actor = createActor(sleepUntil, { input: { until: T0 - 1 } }).start();
    mock.timers.tick(0);
    await settle();
    assert.is(actor.getSnapshot().status, 'done');
  }),
);

// A machine shaped like the hosts' and role swaps' backoff: the deadline sits in the context
// (from backoffDelayMs), the wait is a sleepUntil child, and the snapshot is persisted mid-wait.
const backoffMachine = setup({
  types: { context: {} as { retryAt: number; attempt: number } },
  actors: { sleepUntil },
}).createMachine({
  context: { retryAt: 0, attempt: 1 },
  initial: 'failed',
  states: {
    failed: {
      entry: assign(({ context }) => ({ retryAt: Date.now() + backoffDelayMs(context.attempt, policy, 1) })),
      always: 'backoff',
    },
    backoff: {
      invoke: { src: 'sleepUntil', input: ({ context }) => ({ until: context.retryAt }), onDone: 'retrying' },
    },
    retrying: { type: 'final' },
  },
});

test(
  'a backoff wait restored from its snapshot ends at the original deadline, neither sooner nor later',
  withFakeClock(T0, async () => {
    const first = createActor(backoffMachine).start();
    await settle();
    assert.is(first.getSnapshot().value, 'backoff');
    assert.is(first.getSnapshot().context.retryAt, T0 + 100, 'attempt 1 at jitter 1 waits the base delay');
    mock.timers.tick(30);
    const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
    first.stop(); // the process is killed 30 ms into the wait

    mock.timers.tick(40); // and resumed 40 ms later: 30 ms of the wait are left
    const restored = createActor(backoffMachine, { snapshot: persisted }).start();
    await settle();
    assert.is(restored.getSnapshot().value, 'backoff', 'the restored run waits again');
    mock.timers.tick(29);
    await settle();
    assert.is(restored.getSnapshot().value, 'backoff', 'still waiting 1 ms before the original deadline');
    mock.timers.tick(1);
    await settle();
    assert.is(restored.getSnapshot().value, 'retrying', 'done at the original deadline (T0 + 100), not 100 ms after the restore');
    assert.is(restored.getSnapshot().status, 'done');
  }),
);

test('a stopped wait leaves no timer behind (a stopped run must not keep the process alive)', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const before = timers();
  const actor = createActor(sleepUntil, { input: { until: Date.now() + 3_600_000 } }).start();
  assert.is(timers(), before + 1, 'the wait holds one timer');
  actor.stop();
  assert.is(timers(), before, 'stopping the wait cleared it');
});

test.run();
