// The actor snapshot is stored in parts (snapshot.json for the deployment, snapshot.<child>.json for
// each of its children: a group of hosts), and a flush writes only the parts whose actors changed.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MACHINE_VERSION, readSnapshot, RunStore } from '../../../src/engine/run-store.ts';
import { REDACTED, redactValues } from '../../../src/secrets/index.ts';

const SECRET = 's3cr3t-parts';

function withStore(body: (store: RunStore, dir: string) => void) {
  return () => {
    const runs = mkdtempSync(join(tmpdir(), 'sextant-parts-'));
    try {
      body(new RunStore(runs, 'r1', (t) => redactValues(t, [SECRET])), join(runs, 'r1'));
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  };
}

const tree = (pending: string[], g1: string, g2?: string) => ({
  status: 'active',
  value: 'pull',
  context: { pending },
  children: {
    'hosts 1': { snapshot: { value: g1 } },
    ...(g2 === undefined ? {} : { 'hosts 2': { snapshot: { value: g2 } } }),
  },
});

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

test(
  'the first flush writes the root and every part; later flushes only what changed',
  withStore((store, dir) => {
    store.saveSnapshot(() => tree(['h1'], 'idle', 'idle'));
    store.flush();
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('snapshot')).sort(), ['snapshot.hosts-1.json', 'snapshot.hosts-2.json', 'snapshot.json']);
    assert.equal(readSnapshot(dir)?.snapshot, tree(['h1'], 'idle', 'idle'));

    // Only a host of the second group changed; the first group's file is left as it was, and so is
    // the root (marked on disk to see whether it is written again).
    writeFileSync(join(dir, 'snapshot.hosts-1.json'), read(dir, 'snapshot.hosts-1.json').replace('idle', 'untouched'));
    const root = read(dir, 'snapshot.json');
    store.saveSnapshot(() => tree(['h1'], 'stage', 'stage'), 'hosts 2');
    store.flush();
    assert.is(read(dir, 'snapshot.json'), root, 'the root did not change');
    assert.equal(readSnapshot(dir)?.snapshot, tree(['h1'], 'untouched', 'stage'), 'only the changed part was written');

    store.saveSnapshot(() => tree([], 'stage', 'stage'));
    store.flush();
    assert.equal((readSnapshot(dir)?.snapshot as { context: unknown }).context, { pending: [] });
    store.close();
  }),
);

test(
  'a child that is gone loses its part; the parts are redacted',
  withStore((store, dir) => {
    store.saveSnapshot(() => tree(['h1'], `failed: ${SECRET}`, 'idle'));
    store.flush();
    assert.not.ok(read(dir, 'snapshot.hosts-1.json').includes(SECRET));
    store.saveSnapshot(() => tree(['h1'], `failed: ${SECRET}`), 'hosts 2');
    store.flush();
    assert.not.ok(existsSync(join(dir, 'snapshot.hosts-2.json')));
    assert.equal(readSnapshot(dir)?.snapshot, tree(['h1'], `failed: ${REDACTED}`));
    store.close();
  }),
);

test(
  'a snapshot.json of the previous format (the whole tree in one file) is refused with a message',
  withStore((store, dir) => {
    store.writePlan({});
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ machineVersion: 2, savedAt: 1, snapshot: tree([], 'idle') }));
    assert.throws(() => readSnapshot(dir), (e: Error) => e.message.includes('format 2') && e.message.includes(`format ${MACHINE_VERSION}`) && e.message.includes('log.jsonl'));
    store.close();
  }),
);

test.run();
