// A run's folder `.kamal/runs/<id>/` is what `--resume` continues from: the deployment is run with
// fake step actors through the engine's runDeployment with a RunStore attached, left hanging on
// one step as a killed process would be, and restored from the snapshot.json on disk.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor, toPromise } from 'xstate';
import { EngineBus, type EngineEvent } from '../../../src/engine/events.ts';
import { MACHINE_VERSION, readSnapshot, RunStore, type StoredSnapshot } from '../../../src/engine/run-store.ts';
import { providedDeployMachine, runDeployment, type StepHandlers } from '../../../src/engine/run.ts';
import { REDACTED, redactValues } from '../../../src/secrets/index.ts';
import { permanent, plan } from '../machines/fakes.ts';

const SECRET = 'pw-8f3Kq9Zx-registry';
const redact = (text: string) => redactValues(text, [SECRET]);

// Step handlers that record each call and, through `behave`, succeed, fail or hang. Every host
// step also logs a line with the registry password in it, as a careless step might.
function fakeHandlers(calls: string[], bus: EngineBus, behave: (call: string) => void | Promise<void>): StepHandlers {
  const record = async (call: string) => {
    calls.push(call);
    await behave(call);
  };
  return {
    build: () => record('build'),
    hook: (input) => record(`hook ${input.name} ${input.hosts.join(',')}`),
    accessories: () => record('accessories'),
    hostStep: async (input) => {
      bus.emit('log', { level: 'info', host: input.host, message: `docker login registry.example.com -u deploy -p ${SECRET}`, at: Date.now() });
      await record(`${input.host} ${input.stage}`);
    },
    swapStep: async (input) => {
      await record(`${input.host} ${input.role} ${input.step}`);
      return input.step === 'renameClash' ? { oldVersion: 'v1' } : {};
    },
  };
}

const never = () => new Promise<void>(() => {});

function tempRuns(): { root: string; runsDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'sextant-run-store-'));
  return { root, runsDir: join(root, '.kamal', 'runs') };
}

type Snapshot = { value: unknown; context: Record<string, unknown>; children?: Record<string, { snapshot: Snapshot }> };
type Persisted = {
  status: string;
  value: unknown;
  context: Record<string, unknown> & { pending: string[]; failures: Array<{ message: string }> };
  // The host actors, in groups (machines/host-group.ts).
  children: Record<string, { snapshot: Snapshot }>;
};

const hostOf = (s: Persisted, host: string): Snapshot | undefined =>
  Object.values(s.children).find((group) => group.snapshot.children?.[host])?.snapshot.children?.[host]?.snapshot;
const hostsOf = (s: Persisted): string[] => Object.values(s.children).flatMap((group) => Object.keys(group.snapshot.children ?? {}));

// Every file of the stored snapshot (snapshot.json and its parts, snapshot.<child>.json), as one text.
function snapshotText(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('snapshot'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

// Polls the stored snapshot until it satisfies `ready` (the store writes at most once a second).
async function waitForStored(dir: string, ready: (s: Persisted) => boolean, timeoutMs = 5000): Promise<{ text: string; stored: StoredSnapshot & { snapshot: Persisted } }> {
  const deadline = Date.now() + timeoutMs;
  let last = '(no snapshot.json yet)';
  while (Date.now() < deadline) {
    try {
      const text = snapshotText(dir);
      last = text;
      const stored = readSnapshot(dir) as StoredSnapshot & { snapshot: Persisted };
      if (ready(stored.snapshot)) return { text, stored };
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`snapshot.json never reached the expected state; last:\n${last.slice(0, 2000)}`);
}

function readEvents(dir: string): { text: string; events: EngineEvent[] } {
  const text = readFileSync(join(dir, 'events.jsonl'), 'utf8');
  return { text, events: text.trim().split('\n').map((line) => JSON.parse(line) as EngineEvent) };
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

test('snapshot.json taken mid-run restores to the same snapshot, and the restored run finishes', async () => {
  const { root, runsDir } = tempRuns();
  try {
    const thePlan = plan({ runId: 'run-restore-mid' });
    // The bus does not redact here, so whatever reaches disk redacted was redacted by the store.
    const bus = new EngineBus();
    const store = new RunStore(runsDir, thePlan.runId, redact);
    const calls: string[] = [];
    let hold = true;
    const handlers = fakeHandlers(calls, bus, (call) => (call === 'h2 proxy' && hold ? never() : undefined));

    // The run hangs on h2's proxy step; nothing will ever finish it (the process "was killed").
    void runDeployment({ plan: thePlan, handlers, bus, store });
    const { stored } = await waitForStored(
      store.dir,
      (s) =>
        JSON.stringify(s.value) === '{"locked":{"proxy":"running"}}' &&
        JSON.stringify(s.context.pending) === '["h2"]' &&
        JSON.stringify(hostOf(s, 'h2')?.value) === '{"stage":"running"}',
    );
    assert.is(store.dir, join(runsDir, 'run-restore-mid'));
    assert.is(readFileSync(join(runsDir, '.gitignore'), 'utf8'), '*\n');
    assert.is(stored.machineVersion, MACHINE_VERSION);
    assert.ok(stored.savedAt <= Date.now());
    assert.is(stored.snapshot.status, 'active');
    assert.equal(stored.snapshot.value, { locked: { proxy: 'running' } }, 'the lock was taken before the proxy stage');
    assert.equal(hostsOf(stored.snapshot).sort(), ['h1', 'h2']);
    // No secret is in the machines' state at this point (only in the log events, checked below),
    // so snapshot.json's redaction is tested where a failure message carries one (tests below).

    // Restore from what is on disk, exactly as `--resume` would read it.
    const fromDisk = readSnapshot(store.dir)?.snapshot;
    hold = false;
    const restored = createActor(providedDeployMachine(handlers), { snapshot: fromDisk as never, input: thePlan });
    assert.equal(json(restored.getPersistedSnapshot()), fromDisk, 'file → restore → persist gives the stored snapshot back');

    const before = calls.length;
    restored.start();
    const output = await toPromise(restored);
    assert.equal(output, { ok: true, failures: [] });
    const after = calls.slice(before);
    // The interrupted step runs again (steps are idempotent); nothing before it does.
    assert.is(after[0], 'h2 proxy');
    assert.not.ok(after.includes('h1 lock'));
    assert.not.ok(after.includes('h1 pull'));
    assert.ok(after.includes('h1 web start') && after.includes('h2 workers stopOld'));
    assert.equal(after.slice(-2), ['h1 unlock', 'hook post-deploy h1,h2']);
    restored.stop();

    // The event log: one JSON event per line, the logged password redacted in every one of them.
    const events = readEvents(store.dir);
    assert.not.ok(events.text.includes(SECRET), 'the secret never reaches events.jsonl');
    const logs = events.events.filter((e) => e.type === 'log');
    assert.ok(logs.length > 0);
    for (const log of logs) assert.is((log as { message: string }).message, `docker login registry.example.com -u deploy -p ${REDACTED}`);
    assert.is(events.events[0]?.type, 'run.started');
    assert.ok(events.events.some((e) => e.type === 'host.stage.started' && e.host === 'h2' && e.stage === 'proxy'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('runDeployment resumes from snapshot.json and records the finished run in the same folder', async () => {
  const { root, runsDir } = tempRuns();
  try {
    const thePlan = plan({ runId: 'run-resume-engine' });
    const calls: string[] = [];
    let hold = true;
    const firstBus = new EngineBus();
    const firstStore = new RunStore(runsDir, thePlan.runId, redact);
    // Hangs on h1's first role swap step, in the middle of boot.
    void runDeployment({
      plan: thePlan,
      handlers: fakeHandlers(calls, firstBus, (call) => (call === 'h1 web start' && hold ? never() : undefined)),
      bus: firstBus,
      store: firstStore,
    });
    const { stored } = await waitForStored(firstStore.dir, (s) => JSON.stringify(s.value) === '{"locked":{"boot":"booting"}}' && calls.includes('h1 web start'));
    hold = false;

    // A second process: a new bus and store over the same run folder, continuing from the file.
    const bus = new EngineBus();
    const store = new RunStore(runsDir, thePlan.runId, redact);
    const resumeCalls: string[] = [];
    const output = await runDeployment({
      plan: thePlan,
      handlers: fakeHandlers(resumeCalls, bus, () => undefined),
      bus,
      store,
      snapshot: stored.snapshot,
    });
    assert.ok(output.ok);
    assert.not.ok(resumeCalls.includes('h1 pull') || resumeCalls.includes('h1 lock'), 'stages before boot are not run again');
    assert.ok(resumeCalls.includes('h1 web start'), 'the interrupted swap step runs again');
    assert.equal(resumeCalls.slice(-2), ['h1 unlock', 'hook post-deploy h1,h2']);

    const final = await waitForStored(store.dir, (s) => s.status === 'done');
    assert.is(final.stored.snapshot.value, 'succeeded');
    const restored = createActor(providedDeployMachine(fakeHandlers([], bus, () => undefined)), { snapshot: final.stored.snapshot as never, input: thePlan });
    assert.equal(json(restored.getPersistedSnapshot()), final.stored.snapshot, 'the finished run round-trips too');

    const { text, events } = readEvents(store.dir);
    assert.not.ok(text.includes(SECRET));
    assert.is(events.filter((e) => e.type === 'run.started').length, 2, 'both processes appended to the same log');
    const finished = events.filter((e) => e.type === 'run.finished');
    assert.is(finished.length, 1);
    assert.is((finished[0] as { ok: boolean }).ok, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failure message holding a secret is redacted in snapshot.json and events.jsonl, and the redacted snapshot still restores', async () => {
  const { root, runsDir } = tempRuns();
  try {
    const thePlan = plan({ runId: 'run-secret-failure' });
    const bus = new EngineBus();
    const store = new RunStore(runsDir, thePlan.runId, redact);
    const calls: string[] = [];
    let holdRollback = true;
    const handlers = fakeHandlers(calls, bus, (call) => {
      if (call === 'h2 workers start') throw permanent(`docker run --env DB_PASSWORD=${SECRET} app-workers:v2 exited 125`);
      if (call === 'h2 workers rollback' && holdRollback) return never();
    });

    void runDeployment({ plan: thePlan, handlers, bus, store });
    // Mid-rollback the failure (with the secret in it) sits in the role swap's context.
    // The role swap is the host's child named after its role.
    const swapOf = (s: Persisted) => hostOf(s, 'h2')?.children?.workers?.snapshot;
    const { text, stored } = await waitForStored(store.dir, (s) => JSON.stringify(swapOf(s)?.value) === '{"rollback":"running"}');
    assert.not.ok(text.includes(SECRET), 'the secret never reaches snapshot.json');
    const failure = swapOf(stored.snapshot)?.context.failure as { message: string; stage: string };
    assert.is(failure.stage, 'start');
    assert.is(failure.message, `docker run --env DB_PASSWORD=${REDACTED} app-workers:v2 exited 125`);

    // The redacted snapshot restores and round-trips, and the run ends as the original would.
    holdRollback = false;
    const restored = createActor(providedDeployMachine(handlers), { snapshot: stored.snapshot as never, input: thePlan });
    assert.equal(json(restored.getPersistedSnapshot()), stored.snapshot);
    restored.start();
    const output = await toPromise(restored);
    restored.stop();
    assert.is(output.ok, false);
    assert.equal(
      output.failures.map((f) => `${f.host} ${f.role} ${f.stage} ${f.kind}: ${f.message}`),
      [`h2 workers start permanent: docker run --env DB_PASSWORD=${REDACTED} app-workers:v2 exited 125`],
    );
    assert.ok(calls.includes('h1 unlock'), 'the lock this run took is released');

    const events = readEvents(store.dir);
    assert.not.ok(events.text.includes(SECRET), 'the secret never reaches events.jsonl');
    const rollback = events.events.find((e) => e.type === 'rollback') as { host: string; role: string; reason: string } | undefined;
    assert.equal(rollback && { host: rollback.host, role: rollback.role, reason: rollback.reason }, {
      host: 'h2',
      role: 'workers',
      reason: `docker run --env DB_PASSWORD=${REDACTED} app-workers:v2 exited 125`,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failed run that ends on its own writes a final, redacted snapshot', async () => {
  const { root, runsDir } = tempRuns();
  try {
    const thePlan = plan({ runId: 'run-secret-final' });
    const bus = new EngineBus();
    const store = new RunStore(runsDir, thePlan.runId, redact);
    const handlers = fakeHandlers([], bus, (call) => {
      if (call === 'h2 workers start') throw permanent(`docker run --env DB_PASSWORD=${SECRET} app-workers:v2 exited 125`);
    });
    const output = await runDeployment({ plan: thePlan, handlers, bus, store });
    assert.is(output.ok, false);
    // runDeployment flushes before it returns: the file is final now, no polling needed.
    const text = snapshotText(store.dir);
    assert.not.ok(text.includes(SECRET));
    const stored = readSnapshot(store.dir) as StoredSnapshot & { snapshot: Persisted };
    assert.is(stored.snapshot.status, 'done');
    assert.is(stored.snapshot.value, 'failed');
    assert.equal(
      stored.snapshot.context.failures.map((f) => f.message),
      [`docker run --env DB_PASSWORD=${REDACTED} app-workers:v2 exited 125`],
    );
    const events = readEvents(store.dir);
    assert.not.ok(events.text.includes(SECRET));
    const finished = events.events.find((e) => e.type === 'run.finished') as { ok: boolean; failures: Array<{ message: string }> };
    assert.is(finished.ok, false);
    assert.equal(finished.failures.map((f) => f.message), [`docker run --env DB_PASSWORD=${REDACTED} app-workers:v2 exited 125`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
