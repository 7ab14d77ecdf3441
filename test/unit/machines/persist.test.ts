import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise, waitFor } from 'xstate';
import { fakeDeployMachine, plan, type Fakes } from './fakes.ts';

// The host actors of a persisted deployment, which keeps them in groups (machines/host-group.ts).
type Persisted = { children: Record<string, { snapshot: { children: Record<string, { snapshot: { value: unknown; context: Record<string, unknown> } }> } }> };
const hostsOf = (persisted: Persisted) => Object.assign({}, ...Object.values(persisted.children).map((group) => group.snapshot.children)) as Persisted['children'][string]['snapshot']['children'];

test('a mid-deploy snapshot round-trips through JSON, restores, and finishes the deploy', async () => {
  let holdProxy = true;
  const fakes: Fakes = {
    calls: [],
    behave: (call) => (call === 'h2 proxy' && holdProxy ? new Promise<void>(() => {}) : undefined),
  };
  const machine = fakeDeployMachine(fakes);
  const first = createActor(machine, { input: plan() });
  first.start();
  await waitFor(first, (s) => s.matches({ locked: 'proxy' }) && s.context.pending.length === 1);

  const persisted = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
  first.stop();
  // Under the lock, in the proxy stage, waiting for h2: the lock is known from the state alone.
  assert.equal(persisted.value, { locked: { proxy: 'running' } });
  assert.equal(persisted.context.pending, ['h2']);
  assert.equal(Object.keys(persisted.children), ['hosts 1'], 'two hosts make one group');
  assert.equal(Object.keys(hostsOf(persisted)).sort(), ['h1', 'h2']);
  assert.equal(hostsOf(persisted).h2?.snapshot.value, { stage: 'running' });
  assert.is(hostsOf(persisted).h2?.snapshot.context.stage, 'proxy');

  const restored = createActor(machine, { snapshot: persisted, input: plan() });
  const again = JSON.parse(JSON.stringify(restored.getPersistedSnapshot()));
  assert.equal(again, persisted, 'persist → restore → persist gives the same snapshot');

  holdProxy = false;
  const before = fakes.calls.length;
  restored.start();
  const output = await toPromise(restored);
  assert.ok(output.ok);
  const after = fakes.calls.slice(before);
  // The interrupted step runs again (steps are idempotent); nothing before it does.
  assert.equal(after[0], 'h2 proxy');
  assert.not.ok(after.includes('h1 lock'));
  assert.ok(after.includes('h1 unlock'));
});

test('a snapshot taken during a retry backoff keeps its deadline', async () => {
  const fakes: Fakes = {
    calls: [],
    behave: (call, attempt) => {
      if (call === 'h1 pull' && attempt === 1) throw Object.assign(new Error('reset'), { kind: 'transient' });
    },
  };
  const machine = fakeDeployMachine(fakes);
  const actor = createActor(machine, { input: plan({ retry: { attempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 } }) });
  actor.start();
  await waitFor(actor, (s) => {
    const group = s.children['hosts 1'] as { getSnapshot(): { children: Record<string, { getSnapshot(): { value: unknown } } | undefined> } } | undefined;
    const h1 = group?.getSnapshot().children.h1;
    return JSON.stringify(h1?.getSnapshot().value) === '{"stage":"backoff"}';
  });
  const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
  actor.stop();
  const h1 = hostsOf(persisted).h1?.snapshot;
  assert.is(h1?.context.attempt, 2);
  assert.ok((h1?.context.retryAt as number) >= Date.now() + 25_000, 'the absolute deadline is kept in context');
});

test.run();
