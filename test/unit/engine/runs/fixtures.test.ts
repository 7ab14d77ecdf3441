// Runs recorded on the testbed (test/fixtures/runs/, see docs/runs.md) replayed offline on every
// test run: the same machines fed the same step results reach the same states and outcome.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resumeRecorded } from '../../../../src/engine/recorded-run.ts';
import { replayRun } from '../../../../src/engine/replay.ts';
import { effectiveEnds, readRun, runStatus, startsByKey, type RunRecord } from '../../../../src/engine/run-record.ts';
import { fakeHandlers, fakeSession } from './fake-run.ts';

const fixtures = new URL('../../../fixtures/runs/', import.meta.url).pathname;

// What each fixture is, checked on the record itself, so a fixture cannot quietly be another run.
const expected: Record<string, (record: RunRecord) => void> = {
  succeeded: (record) => {
    assert.is(runStatus(record), 'succeeded');
    assert.ok(effectiveEnds(record).every((e) => e.ok), 'no step failed');
  },
  'failed-rolled-back': (record) => {
    assert.is(runStatus(record), 'failed');
    const starts = startsByKey(record);
    const ends = effectiveEnds(record);
    assert.ok(ends.some((e) => !e.ok && e.key.includes(':web:health@')), 'a web health check failed');
    assert.ok(ends.some((e) => e.ok && starts.get(e.key)?.step.kind === 'swap' && (starts.get(e.key)?.step as { step: string }).step === 'rollback'), 'and was rolled back');
  },
  retried: (record) => {
    assert.is(runStatus(record), 'succeeded');
    const ends = effectiveEnds(record);
    const failed = ends.filter((e) => !e.ok);
    assert.ok(failed.length > 0 && failed.every((e) => e.error.kind === 'transient'), 'only transient failures');
    for (const end of failed) {
      const next = end.key.replace(/@(\d+)#/, (_, n: string) => `@${Number(n) + 1}#`);
      assert.ok(ends.some((e) => e.key === next), `${end.key} was retried as ${next}`);
    }
  },
};

test('every fixture is a known one, and each known one is there', () => {
  assert.equal(readdirSync(fixtures).sort(), Object.keys(expected).sort());
});

for (const [name, check] of Object.entries(expected)) {
  test(`fixture ${name}: replays offline to the same states and outcome`, async () => {
    const record = readRun(join(fixtures, name));
    assert.is(record.broken, undefined);
    check(record);
    const result = await replayRun(record);
    assert.ok(result.same, result.divergence);
    assert.is(result.replayed?.ok, record.header?.outcome === 'succeeded');
    assert.is(result.steps, effectiveEnds(record).length);
    if (!result.statesCompared) console.log(`  (fixture ${name} comes from other machines: states not compared — re-record it, see docs/runs.md)`);
  });
}

test('fixture failed-rolled-back with its failed health check turned into a success: the replay reports the divergence', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sextant-fixture-')), 'failed-edited');
  cpSync(join(fixtures, 'failed-rolled-back'), dir, { recursive: true });
  const log = join(dir, 'log.jsonl');
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  const index = lines.findIndex((l) => /"e":"end"/.test(l) && /:web:health@/.test(l) && /"ok":false/.test(l));
  assert.ok(index >= 0);
  const entry = JSON.parse(lines[index] as string) as Record<string, unknown>;
  lines[index] = JSON.stringify({ ...entry, ok: true, error: undefined });
  writeFileSync(log, `${lines.join('\n')}\n`);
  const result = await replayRun(readRun(dir));
  assert.not.ok(result.same);
  assert.type(result.divergence, 'string');
});

test('fixture failed-rolled-back resumes: the failed role swap runs again from its first step, the completed steps are replayed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sextant-fixture-'));
  const runsDir = join(root, '.kamal', 'runs');
  cpSync(join(fixtures, 'failed-rolled-back'), join(runsDir, 'failed-rolled-back'), { recursive: true });
  const record = readRun(join(runsDir, 'failed-rolled-back'));
  const failedHost = (record.header?.hostResults && Object.entries(record.header.hostResults).find(([, r]) => r === 'failed')?.[0]) as string;
  const health = effectiveEnds(record).find((e) => !e.ok && e.key.includes(':web:health@'))!;
  const host = health.key.split(':')[1] as string;
  assert.ok(failedHost, 'a host failed');
  const session = fakeSession(runsDir, 'failed-rolled-back');
  const calls: string[] = [];
  const output = await resumeRecorded({ session, record, plan: record.plan!, handlers: fakeHandlers(session.bus, calls) });
  assert.ok(output.ok, JSON.stringify(output.failures));
  const first = record.plan!.rolesOnHost[host]![0]!.name;
  assert.ok(calls.some((c) => c.startsWith(`${host} ${first} `)), `${host}'s ${first} swap runs again: ${calls.join(', ')}`);
  assert.not.ok(calls.some((c) => / pull$/.test(c)), 'the pulls are replayed, not run');
  assert.not.ok(calls.includes('build'), 'the build is replayed, not run');
  assert.ok(existsSync(join(runsDir, 'failed-rolled-back', 'log.jsonl')));
  const replay = await replayRun(readRun(join(runsDir, 'failed-rolled-back')));
  assert.ok(replay.same, replay.divergence);
});

test.run();
