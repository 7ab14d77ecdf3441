// The run commands through the CLI, on the recorded fixtures (test/fixtures/runs/): runs, runs show,
// runs view, replay (--speed, --inspect) and the refusals of resume that need no server.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from 'ws';
import { captureIO } from '../../../../src/cli/io.ts';
import { runCli } from '../../../../src/cli/run.ts';
import { readRun } from '../../../../src/engine/run-record.ts';

const fixtures = new URL('../../../fixtures/runs/', import.meta.url).pathname;
const ids = Object.fromEntries(['succeeded', 'failed-rolled-back', 'retried'].map((name) => [name, readRun(join(fixtures, name)).header!.runId]));

// A project folder with the fixtures as its runs, under their own ids.
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-runs-cli-'));
  for (const [name, id] of Object.entries(ids)) cpSync(join(fixtures, name), join(dir, '.kamal/runs', id as string), { recursive: true });
  return dir;
}

async function cli(dir: string, args: string[]) {
  const io = captureIO(dir, { PATH: process.env.PATH });
  const code = await runCli(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

test('runs lists every run, newest first, with its outcome and hosts', async () => {
  const dir = project();
  const { code, stdout } = await cli(dir, ['runs']);
  assert.is(code, 0);
  const rows = stdout.trim().split('\n');
  assert.match(rows[0] as string, /^RUN\s+COMMAND\s+VERSION\s+STARTED\s+DURATION\s+OUTCOME\s+HOSTS$/);
  assert.equal(rows.slice(1).map((r) => r.split(/\s+/)[0]), Object.values(ids).sort().reverse());
  assert.match(stdout, new RegExp(`${ids.succeeded}\\s+deploy\\s+r1\\s+.*\\ssucceeded\\s+3 ok`));
  assert.match(stdout, new RegExp(`${ids['failed-rolled-back']}\\s+deploy\\s+r2\\s+.*\\sfailed\\s+\\d ok, \\d failed`));
});

test('runs show prints the timeline per host; RUN may be a prefix or last', async () => {
  const dir = project();
  const failed = await cli(dir, ['runs', 'show', (ids['failed-rolled-back'] as string).slice(0, 22)]);
  assert.is(failed.code, 0, failed.stderr);
  assert.match(failed.stdout, /web health\s+failed/);
  assert.match(failed.stdout, /← rollback/);
  assert.match(failed.stdout, /Failures:\n/);
  const last = await cli(dir, ['runs', 'show', 'last']);
  assert.match(last.stdout, new RegExp(`^Run ${[...Object.values(ids)].sort().at(-1)}:`));
  const missing = await cli(dir, ['runs', 'show', 'nope']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /No run matches 'nope'/);
});

test('replay says the run came out the same; --speed prints each result as it is fed', async () => {
  const dir = project();
  const replay = await cli(dir, ['replay', ids['failed-rolled-back'] as string]);
  assert.is(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /Same outcome: failed \(.* web health: /);
  const paced = await cli(dir, ['replay', ids.retried as string, '--speed', '100000']);
  assert.is(paced.code, 0, paced.stderr);
  assert.match(paced.stdout, /^\s+\+\S+\s+host:\S+:\w+@[2-9]\s+ok$/m, 'the retried step, a later try');
  assert.match(paced.stdout, /failed \(transient\)/);
});

test('replay --inspect streams the replayed actors to the inspector endpoint', async () => {
  const dir = project();
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const messages: string[] = [];
  const closed = new Promise<void>((resolve) =>
    server.on('connection', (socket) => {
      socket.on('message', (data) => messages.push(data.toString()));
      socket.on('close', () => resolve());
    }),
  );
  try {
    const { port } = server.address() as { port: number };
    const replay = await cli(dir, ['replay', ids.succeeded as string, '--inspect', `ws://127.0.0.1:${port}`]);
    assert.is(replay.code, 0, replay.stderr);
    await closed;
    const events = messages.map((m) => JSON.parse(m) as { type: string; name?: string; snapshot?: { status?: string } });
    const actors = events.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
    assert.ok(actors.includes('deploy'), 'the deployment actor');
    assert.ok(events.some((e) => e.type === '@xstate.snapshot' && e.snapshot?.status === 'done'), 'down to its end');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('runs view writes one self-contained page', async () => {
  const dir = project();
  const view = await cli(dir, ['runs', 'view', 'last']);
  assert.is(view.code, 0, view.stderr);
  const file = join(dir, '.kamal/runs', [...Object.values(ids)].sort().at(-1) as string, 'view.html');
  assert.ok(existsSync(file));
  assert.match(view.stdout, `Wrote ${file}`);
  const html = readFileSync(file, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.not.match(html, /(src|href)=["']?(https?:)?\/\//);
});

test('resume refuses a run that succeeded, and a broken record, before anything else', async () => {
  const dir = project();
  const done = await cli(dir, ['resume', ids.succeeded as string]);
  assert.is(done.code, 1);
  assert.match(done.stderr, `ERROR: Run ${ids.succeeded} already succeeded; there is nothing to resume`);
  const broken = join(dir, '.kamal/runs', ids.retried as string, 'log.jsonl');
  writeFileSync(broken, `${readFileSync(broken, 'utf8').split('\n')[0]}\nnot json\n{}\n`);
  const refused = await cli(dir, ['resume', ids.retried as string]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /cannot be resumed: its record is broken \(log\.jsonl line 2 does not parse\)/);
  const noReplay = await cli(dir, ['replay', ids.retried as string]);
  assert.is(noReplay.code, 1);
  assert.match(noReplay.stderr, /cannot be replayed: log\.jsonl line 2 does not parse/);
});

test.run();
