// events.jsonl is written in batches (one write per turn of the event loop instead of one per
// event); log.jsonl, which a resume trusts, is written line by line, and carries the events
// before it out with it, so events.jsonl is never behind the log.
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
  'a log.jsonl line is written at once and takes the pending events with it',
  withStore((store, dir) => {
    store.appendEvent(event(1));
    store.log({ e: 'state', actor: 'deploy', state: 'pull', at: 2 });
    assert.equal(lines(join(dir, 'log.jsonl')).length, 1);
    assert.equal(lines(join(dir, 'events.jsonl')).length, 1);
    store.appendEvent(event(3));
    store.flush();
    assert.equal(lines(join(dir, 'events.jsonl')).length, 2, 'flush() writes what is pending');
    store.close();
  }),
);

test.run();
