// Run records (.kamal/runs/<id>/): what a run writes, how it reads back, how it replays offline,
// and how a killed or failed run resumes — over fake steps, through the engine's own code.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineVersion } from '../../../../src/engine/machine-version.ts';
import { headerFor, resumePrefix, resumeRecorded, resumeRefusal, runRecorded } from '../../../../src/engine/recorded-run.ts';
import { replayRun } from '../../../../src/engine/replay.ts';
import { effectiveEnds, findRun, readRun, runStatus, type LogEntry } from '../../../../src/engine/run-record.ts';
import { formatRunList, formatTimeline, summaryOf, timelineOf } from '../../../../src/engine/run-timeline.ts';
import { REDACTED } from '../../../../src/secrets/index.ts';
import { permanent, transient } from '../../machines/fakes.ts';
import { fakeConfig, fakeHandlers, fakeSession, request, SECRET, tempRunsDir, testPlan } from './fake-run.ts';

const here = new URL('.', import.meta.url).pathname;

async function recordRun(runsDir: string, runId: string, behave?: (call: string, attempt: number) => void | Promise<void>) {
  const session = fakeSession(runsDir, runId);
  const calls: string[] = [];
  const plan = testPlan(runId);
  const output = await runRecorded({ session, plan, handlers: fakeHandlers(session.bus, calls, behave), kamalCommand: 'deploy', request });
  return { output, calls, dir: join(runsDir, runId), plan };
}

function allRunText(dir: string): string {
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

test('a run writes its request, plan and step log; every step has a start and a result with its redacted commands', async () => {
  const runsDir = tempRunsDir();
  const { output, dir } = await recordRun(runsDir, 'r1');
  assert.ok(output.ok);
  const record = readRun(dir);
  assert.is(record.broken, undefined);
  assert.is(runStatus(record), 'succeeded');
  const header = record.header!;
  assert.is(header.runId, 'r1');
  assert.is(header.version, 'v2');
  assert.equal(header.secretNames, ['KAMAL_REGISTRY_PASSWORD']);
  assert.is(header.machineVersion, machineVersion());
  assert.equal(header.lock, { host: 'h1', path: '.kamal/lock-app', message: 'Automatic deploy lock (sextant run r1)' });
  assert.is(header.outcome, 'succeeded');
  assert.equal(header.hostResults, { h1: 'ok', h2: 'ok' });
  const starts = record.entries.filter((e) => e.e === 'start');
  const ends = record.entries.filter((e): e is Extract<LogEntry, { e: 'end' }> => e.e === 'end');
  assert.is(starts.length, ends.length);
  assert.ok(ends.length > 20, `${ends.length} steps`);
  const pull = ends.find((e) => e.key === 'host:h2:pull@1#1');
  assert.ok(pull?.ok);
  assert.is(pull!.commands?.[0]?.host, 'h2');
  assert.is(pull!.commands?.[0]?.line, `docker login -p ${REDACTED} h2 pull`);
  assert.is(pull!.commands?.[0]?.output, 'did h2 pull\n');
  assert.is(pull!.commands?.[0]?.exitCode, 0);
  assert.ok(record.entries.some((e) => e.e === 'state' && e.actor === 'deploy/h2' && e.state.startsWith('boot')), 'host states are logged');
  assert.not.ok(allRunText(dir).includes(SECRET), 'no secret in any run file');
});

test('replay reaches the same states and outcome; runs and runs show read the record', async () => {
  const runsDir = tempRunsDir();
  let reset = 0;
  const { output, dir } = await recordRun(runsDir, '20260101T000000Z-aaaaaa', (call, attempt) => {
    if (call === 'h2 pull' && attempt === 1 && reset++ === 0) throw transient('connection reset');
    if (call === 'h2 web health') throw permanent('health check failed: 503');
  });
  assert.not.ok(output.ok);
  const record = readRun(dir);
  assert.is(runStatus(record), 'failed');
  const result = await replayRun(record);
  assert.ok(result.same, result.divergence);
  assert.is(result.replayed?.ok, false);
  assert.ok(result.states > 30);

  const shown = formatTimeline(timelineOf(record));
  assert.match(shown, /pull \(try 2\)\s+ok/);
  assert.match(shown, /\n\s+\+\S+\s+pull\s+retried/);
  assert.match(shown, /web health\s+failed/);
  assert.match(shown, /permanent: health check failed: 503/);
  assert.match(shown, /web rollback\s+ok\s+\S+\s+← rollback/);
  assert.match(shown, /Failures:\n\s+h2 web health: health check failed: 503/);

  const list = formatRunList([summaryOf(dir)]);
  assert.match(list, /^RUN\s+COMMAND\s+VERSION\s+STARTED\s+DURATION\s+OUTCOME\s+HOSTS$/m);
  assert.match(list, /20260101T000000Z-aaaaaa\s+deploy\s+v2\s+\S+ \S+\s+\S+\s+failed\s+0 ok, 2 failed/, 'h2 failed its health check, h1 halted its workers at the barrier');
});

test('a replay of a record whose step result was edited reports the first divergence', async () => {
  const runsDir = tempRunsDir();
  const { dir } = await recordRun(runsDir, 'r-edit', (call) => {
    if (call === 'h2 web health') throw permanent('health check failed');
  });
  const log = join(dir, 'log.jsonl');
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  const edited = lines.map((line) => {
    const entry = JSON.parse(line) as LogEntry;
    if (entry.e === 'end' && entry.key.startsWith('swap:h2:web:health@1')) return JSON.stringify({ ...entry, ok: true, error: undefined });
    return line;
  });
  assert.is.not(edited.join('\n'), lines.join('\n'), 'the record was edited');
  writeFileSync(log, `${edited.join('\n')}\n`);
  const result = await replayRun(readRun(dir));
  assert.not.ok(result.same);
  assert.ok(result.divergence, 'a divergence is reported');
  assert.match(result.divergence!, /rollback|stopOld|deploy\/h2\/swap|state/);
});

test('a torn last line is ignored; a bad line in the middle marks the run broken', async () => {
  const runsDir = tempRunsDir();
  const { dir } = await recordRun(runsDir, 'r-torn');
  const log = join(dir, 'log.jsonl');
  const whole = readFileSync(log, 'utf8');
  appendFileSync(log, '{"e":"start","key":"host:h1:pu');
  assert.is(readRun(dir).broken, undefined);
  assert.is(runStatus(readRun(dir)), 'succeeded');
  writeFileSync(log, whole.replace('\n', '\nnot json\n'));
  assert.is(runStatus(readRun(dir)), 'broken');
  assert.match(readRun(dir).broken!, /line 2 does not parse/);
});

test('RUN is an id, a unique prefix, or last', async () => {
  const runsDir = tempRunsDir();
  await recordRun(runsDir, '20260101T000000Z-aaaaaa');
  await recordRun(runsDir, '20260102T000000Z-bbbbbb');
  await recordRun(runsDir, '20260102T000000Z-bbbccc');
  assert.equal(findRun(runsDir, 'last'), { ok: true, dir: join(runsDir, '20260102T000000Z-bbbccc') });
  assert.equal(findRun(runsDir, '20260101'), { ok: true, dir: join(runsDir, '20260101T000000Z-aaaaaa') });
  const ambiguous = findRun(runsDir, '20260102T000000Z-bbb');
  assert.not.ok(ambiguous.ok);
  assert.match((ambiguous as { message: string }).message, /matches 2 runs/);
  assert.match((findRun(runsDir, 'nope') as { message: string }).message, /No run matches 'nope'/);
});

function killedRun(runsDir: string, runId: string, killAt: string, mode: 'run' | 'resume' = 'run') {
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'killed-run.ts'), runsDir, runId, mode], {
    env: { ...process.env, SEXTANT_TEST_KILL_AT: killAt },
    encoding: 'utf8',
  });
  assert.is(child.signal, 'SIGKILL', `the child killed itself at ${killAt}: ${child.stdout}${child.stderr}`);
  return join(runsDir, runId);
}

async function resume(runsDir: string, runId: string, behave?: (call: string, attempt: number) => void | Promise<void>) {
  const record = readRun(join(runsDir, runId));
  const session = fakeSession(runsDir, runId);
  const calls: string[] = [];
  const output = await resumeRecorded({ session, record, plan: record.plan!, handlers: fakeHandlers(session.bus, calls, behave) });
  return { output, calls };
}

test('a run SIGKILLed at a stage boundary is interrupted; resume runs only what is left, and the whole record replays', async () => {
  const runsDir = tempRunsDir();
  const dir = killedRun(runsDir, 'r-kill-proxy', 'proxy');
  const record = readRun(dir);
  assert.is(runStatus(record), 'interrupted');
  assert.not.ok(record.entries.some((e) => e.e === 'start' && e.key.includes(':proxy@')), 'nothing of the proxy stage started');
  const partial = await replayRun(record);
  assert.ok(partial.same, partial.divergence);

  const { output, calls } = await resume(runsDir, 'r-kill-proxy');
  assert.ok(output.ok);
  assert.equal(calls.slice(0, 2).sort(), ['h1 proxy', 'h2 proxy']);
  for (const done of ['h1 pull', 'h2 pull', 'h1 lock', 'hook pre-deploy', 'h1 network']) assert.not.ok(calls.includes(done), `${done} is not run again`);
  assert.ok(calls.includes('h2 web start') && calls.includes('h1 unlock'));
  const after = readRun(dir);
  assert.is(runStatus(after), 'succeeded');
  const replay = await replayRun(after);
  assert.ok(replay.same, replay.divergence);
  assert.not.ok(allRunText(dir).includes(SECRET));
});

test('a run killed in the middle of a step: resume runs that step again as a retry (check before acting)', async () => {
  const runsDir = tempRunsDir();
  const dir = killedRun(runsDir, 'r-kill-start', 'boot:h2:start!');
  const record = readRun(dir);
  assert.is(runStatus(record), 'interrupted');
  const starts = record.entries.filter((e) => e.e === 'start').map((e) => (e as { key: string }).key);
  assert.ok(starts.includes('swap:h2:web:start@1#1'), 'the step had started');
  assert.not.ok(effectiveEnds(record).some((e) => e.key === 'swap:h2:web:start@1#1'), 'its end was never logged');
  const { output, calls } = await resume(runsDir, 'r-kill-start');
  assert.ok(output.ok);
  assert.ok(calls.includes('h2 web start @2'), `the interrupted start runs as a retry: ${calls.join(', ')}`);
  assert.not.ok(calls.includes('h1 web start'), 'h1 web start had finished');
  const replay = await replayRun(readRun(dir));
  assert.ok(replay.same, replay.divergence);
});

test('a resume killed in its turn resumes again: each process adds a segment, the whole record still replays', async () => {
  const runsDir = tempRunsDir();
  const dir = killedRun(runsDir, 'r-twice', 'proxy');
  killedRun(runsDir, 'r-twice', 'boot:h2:health', 'resume');
  const between = readRun(dir);
  assert.is(runStatus(between), 'interrupted');
  assert.equal(between.entries.filter((e) => e.e === 'segment').map((e) => (e as { mode: string }).mode), ['run', 'resume']);
  assert.ok(effectiveEnds(between).some((e) => e.key === 'host:h2:proxy@1#1'), 'the first resume ran the proxy stage');
  const { output, calls } = await resume(runsDir, 'r-twice');
  assert.ok(output.ok);
  assert.not.ok(calls.includes('h2 proxy'), 'done by the first resume');
  assert.ok(calls.includes('h2 web health'), 'where the first resume was killed');
  const after = readRun(dir);
  assert.is(runStatus(after), 'succeeded');
  assert.is(after.entries.filter((e) => e.e === 'segment').length, 3);
  const replay = await replayRun(after);
  assert.ok(replay.same, replay.divergence);
});

test("a failed run's resume, killed: runs lists it as interrupted, not with the first process's outcome", async () => {
  const runsDir = tempRunsDir();
  const { dir } = await recordRun(runsDir, 'r-failed-then-killed', (call) => {
    if (call === 'h2 web health') throw permanent('health check failed');
  });
  assert.is(summaryOf(dir).status, 'failed');
  killedRun(runsDir, 'r-failed-then-killed', 'boot:h2:health', 'resume');
  assert.is(readRun(dir).header?.outcome, undefined, 'the resume cleared the outcome');
  assert.is(summaryOf(dir).status, 'interrupted');
  const { output } = await resume(runsDir, 'r-failed-then-killed');
  assert.ok(output.ok);
  assert.equal({ status: summaryOf(dir).status, ok: summaryOf(dir).ok }, { status: 'succeeded', ok: 2 });
});

test('a failed run resumes from its failure: the failed role swap runs again from its start, the rest is replayed', async () => {
  const runsDir = tempRunsDir();
  let healthy = false;
  const { dir, plan } = await recordRun(runsDir, 'r-fail', (call) => {
    if (call === 'h2 web health' && !healthy) throw permanent('health check failed');
  });
  const record = readRun(dir);
  const { ends, voided } = resumePrefix(record, plan);
  assert.ok(voided.some((k) => k.startsWith('swap:h2:web:health@1')), 'the failure is set aside');
  assert.ok(voided.some((k) => k.startsWith('swap:h2:web:rollback@1')), 'so is its rollback');
  assert.ok(voided.some((k) => k.startsWith('swap:h2:web:') && !k.includes('health') && !k.includes('rollback')), "and the swap's earlier steps");
  assert.ok(ends.some((e) => e.key.startsWith('host:h1:lock@1')));
  healthy = true;
  const { output, calls } = await resume(runsDir, 'r-fail');
  assert.ok(output.ok, JSON.stringify(output.failures));
  assert.ok(calls.includes("h2 web health") && calls.includes("h2 workers start"), calls.join(", "));
  assert.not.ok(calls.includes('h1 web start'));
  const after = readRun(dir);
  assert.is(runStatus(after), 'succeeded');
  const replay = await replayRun(after);
  assert.ok(replay.same, replay.divergence);
});

test('resume refuses when the config, the secrets, the machines or the plan changed', async () => {
  const runsDir = tempRunsDir();
  const { dir, plan } = await recordRun(runsDir, 'r-refuse');
  const record = readRun(dir);
  const now = (config: object, p = plan) => {
    const session = fakeSession(runsDir, 'r-refuse', config);
    return { header: headerFor({ session, plan: p, kamalCommand: 'deploy', request }), plan: p };
  };
  assert.is(resumeRefusal(record, now(fakeConfig)), undefined);
  assert.match(resumeRefusal(record, now({ ...fakeConfig, service: 'other' }))!, /The config changed since run r-refuse started/);
  assert.match(resumeRefusal(record, now(fakeConfig, { ...plan, hosts: ['h1'] }))!, /plan .* comes out differently/);
  const changed = now(fakeConfig);
  assert.match(resumeRefusal(record, { ...changed, header: { ...changed.header, machineVersion: 'other' } })!, /other deployment machines/);
  assert.match(resumeRefusal(record, { ...changed, header: { ...changed.header, secretNames: ['NEW'] } })!, /secrets changed .*\+NEW, -KAMAL_REGISTRY_PASSWORD/);
});

test.run();
