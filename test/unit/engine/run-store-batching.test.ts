// events.jsonl is written in batches (one write per turn of the event loop instead of one per
// event); log.jsonl, which a resume trusts, has each step's start and end written at once, and
// they carry the events and machine states before them out with them, so events.jsonl is never
// behind the log and the log on disk is always a prefix of the whole.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunStore } from '../../../src/engine/run-store.ts';
import { REDACTED, redactValues } from '../../../src/secrets/index.ts';

const SECRET = 's3cr3t-batch';
const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

function withStore(body: (store: RunStore, dir: string) => Promise<void> | void) {
  return async () => {
    const runs = mkdtempSync(join(tmpdir(), 'sextant-store-'));
    try {
      const store = new RunStore(runs, 'r1', (t) => redactValues(t, [SECRET]));
      await body(store, join(runs, 'r1'));
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  };
}

const event = (n: number) => ({ type: 'log' as const, level: 'info' as const, message: `line ${n} ${SECRET}`, at: n });

test(
  'events wait for the end of the turn, then go out together, redacted and in order',
  withStore(async (store, dir) => {
    for (let n = 1; n <= 3; n++) store.appendEvent(event(n));
    assert.equal(lines(join(dir, 'events.jsonl')), [], 'nothing written in the same turn');
    await new Promise((resolve) => setImmediate(resolve));
    const written = lines(join(dir, 'events.jsonl')).map((l) => JSON.parse(l) as { message: string; at: number });
    assert.equal(written.map((e) => e.at), [1, 2, 3]);
    assert.equal(written[0]?.message, `line 1 ${REDACTED}`);
    store.close();
  }),
);

test(
  'a step start or end is written at once and takes the pending events and machine states with it',
  withStore((store, dir) => {
    store.appendEvent(event(1));
    store.log({ e: 'state', actor: 'deploy', state: 'pull', at: 2 });
    assert.equal(lines(join(dir, 'log.jsonl')), [], 'a machine state waits');
    store.log({ e: 'start', key: 'h1:pull@1', step: { kind: 'host', host: 'h1', stage: 'pull', attempt: 1 }, at: 3 });
    assert.equal(
      lines(join(dir, 'log.jsonl')).map((l) => (JSON.parse(l) as { e: string }).e),
      ['state', 'start'],
      'the start went out at once, after the state before it',
    );
    assert.equal(lines(join(dir, 'events.jsonl')).length, 1);
    store.log({ e: 'end', key: 'h1:pull@1', at: 4, ms: 1, ok: true });
    assert.is(lines(join(dir, 'log.jsonl')).length, 3, 'an end is written at once');
    store.appendEvent(event(3));
    store.flush();
    assert.equal(lines(join(dir, 'events.jsonl')).length, 2, 'flush() writes what is pending');
    store.close();
  }),
);

test(
  'machine states alone go out at the end of the turn',
  withStore(async (store, dir) => {
    store.log({ e: 'state', actor: 'deploy', state: 'pull', at: 1 });
    store.log({ e: 'state', actor: 'deploy/h1', state: 'pull', at: 2 });
    assert.equal(lines(join(dir, 'log.jsonl')), []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(lines(join(dir, 'log.jsonl')).length, 2);
    store.close();
  }),
);

test.run();
