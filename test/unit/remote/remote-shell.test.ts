// The remote shell's framing and its driver script. The driver runs in a real local `sh` (the
// same program an SSH exec request starts on a server), reached through a stand-in for the SSH
// channel that only forwards bytes; the framing parser is fed chunks cut at awkward places.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileCommand } from '../../../src/commands/file-write.ts';
import { render, renderForDisplay } from '../../../src/commands/shell.ts';
import { driverCommand, FramedStream, frame, newMarker, RemoteShell } from '../../../src/remote/remote-shell.ts';

// ---- FramedStream -------------------------------------------------------------------------------

const M = 'sx0123456789abcdef0123456789abcdef';

function feed(chunks: string[], withStatus = true) {
  const passed: string[] = [];
  const stream = new FramedStream(M, withStatus, (text) => passed.push(text));
  for (const chunk of chunks) stream.push(chunk);
  return { stream, passed };
}

test('framing: output before the marker is the command output; the status follows the marker on stdout', () => {
  const { stream, passed } = feed([`hello\nworld${M} 3\n`]);
  assert.ok(stream.done);
  assert.is(stream.exitCode, 3);
  assert.is(stream.output, 'hello\nworld');
  assert.is(passed.join(''), 'hello\nworld');
});

test('framing: a marker cut across chunks anywhere is still found, and nothing of it is passed on', () => {
  const whole = `out put${M} 0\n`;
  for (let a = 1; a < whole.length - 1; a++) {
    for (const b of [a + 1, Math.min(whole.length - 1, a + 7)]) {
      const { stream, passed } = feed([whole.slice(0, a), whole.slice(a, b), whole.slice(b)]);
      assert.ok(stream.done, `cut at ${a}/${b}`);
      assert.is(stream.exitCode, 0);
      assert.is(passed.join(''), 'out put', `cut at ${a}/${b}`);
    }
  }
});

test('framing: text that only looks like the start of the marker is held back, then passed on', () => {
  const { stream, passed } = feed(['abc sx0123', '45 and more\n']);
  assert.is(passed.join(''), 'abc sx012345 and more\n');
  assert.not.ok(stream.done);
  assert.is(passed[0], 'abc ', 'the possible marker start waited for the next chunk');
});

test('framing: the status line is awaited whole; stderr ends at its marker line', () => {
  const { stream } = feed([`x${M} 12`]);
  assert.not.ok(stream.done, 'the status may still go on');
  stream.push('7\n');
  assert.is(stream.exitCode, 127);
  const err = feed([`warning\n${M}\n`], false);
  assert.ok(err.stream.done);
  assert.is(err.stream.output, 'warning\n');
  assert.is(err.stream.exitCode, undefined);
});

test('framing: each command gets its own marker; a frame is marker, line, marker', () => {
  const a = newMarker();
  assert.match(a, /^sx[0-9a-f]{32}$/);
  assert.is.not(a, newMarker());
  assert.is(frame(a, 'echo hi'), `${a}\necho hi\n${a}\n`);
  assert.is(frame(a, 'echo hi', { stopsBatch: true }), `${a} c\necho hi\n${a}\n`);
  assert.is(frame(a, 'echo hi', { stopsBatch: true, continuesBatch: true }), `${a} +c\necho hi\n${a}\n`);
  assert.is(frame(a, 'echo hi', { continuesBatch: true }), `${a} +\necho hi\n${a}\n`);
});

test('framing: a skipped frame ends with " -"; what follows the end is handed back for the next frame', () => {
  const { stream } = feed([`${M} -\nnext frame's output`]);
  assert.ok(stream.done);
  assert.ok(stream.skipped);
  assert.is(stream.exitCode, undefined);
  const two = new FramedStream(M, true, () => {});
  assert.is(two.push(`a${M} 0\nb`), 'b');
  assert.is(two.output, 'a');
  assert.is(two.push('more'), 'more', 'a finished stream takes nothing more');
});

// ---- the driver in a real sh ----------------------------------------------------------------------

// A local `sh -c <what the exec request runs>` behind the few parts of ssh2's ClientChannel the
// shell uses.
function localChannel(env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('/bin/sh', ['-c', driverCommand()], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const channel = Object.assign(new EventEmitter(), {
    stderr: child.stderr,
    write: (text: string) => child.stdin.write(text),
    close: () => child.stdin.end(),
    end: () => child.stdin.end(),
  });
  child.stdout.on('data', (data: Buffer) => channel.emit('data', data));
  child.on('close', () => channel.emit('close'));
  return { channel: channel as unknown as ClientChannel, child };
}

async function startShell(env?: NodeJS.ProcessEnv) {
  const { channel, child } = localChannel(env);
  let closed = 0;
  const shell = await RemoteShell.start(channel, () => closed++);
  if (!shell) throw new Error('the driver did not start');
  return { shell, child, closed: () => closed };
}

test('driver: runs commands one after another, with their own exit status, stdout and stderr', async () => {
  const { shell, child } = await startShell();
  try {
    const chunks: string[] = [];
    const first = await shell.run(`printf 'one'; echo two >&2; exit 3`, (stream, text) => chunks.push(`${stream}:${text}`));
    assert.equal(first, { exitCode: 3, stdout: 'one', stderr: 'two\n' });
    assert.ok(chunks.includes('stdout:one') && chunks.includes('stderr:two\n'));
    const second = await shell.run('echo "$0" | wc -c >/dev/null; echo ok', () => {});
    assert.equal(second, { exitCode: 0, stdout: 'ok\n', stderr: '' });
  } finally {
    child.kill();
  }
});

test('driver: a line with newlines, quotes, $ and backslashes runs exactly as written', async () => {
  const { shell, child } = await startShell();
  try {
    const result = await shell.run(`printf '%s|' 'a'"'"'b' "c\nd" '$HOME' 'x\\y' '' 'e\n\nf'`, () => {});
    assert.is(result.stdout, `a'b|c\nd|$HOME|x\\y||e\n\nf|`);
  } finally {
    child.kill();
  }
});

test('driver: a command cannot change the shell for the next one, read its frames, or end it', async () => {
  const { shell, child } = await startShell();
  try {
    assert.is((await shell.run('cd /; X=set; m=gone', () => {})).exitCode, 0);
    assert.is((await shell.run('pwd; echo "[$X]"', () => {})).stdout, `${process.cwd()}\n[]\n`);
    assert.is((await shell.run('cat; echo read-nothing', () => {})).stdout, 'read-nothing\n', 'stdin is /dev/null');
    const bad = await shell.run('if then fi', () => {});
    assert.is.not(bad.exitCode, 0, 'a syntax error fails that command');
    assert.is((await shell.run('exit 7', () => {})).exitCode, 7);
    assert.is((await shell.run('echo still here', () => {})).stdout, 'still here\n');
  } finally {
    child.kill();
  }
});

test('driver: a frame cut short by the end of input runs nothing; the shell closes and its command fails', async () => {
  const { channel, child } = localChannel();
  let closed = 0;
  const shell = await RemoteShell.start(channel, () => closed++);
  if (!shell) throw new Error('the driver did not start');
  const marker = newMarker();
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const closedChannel = new Promise((resolve) => channel.once('close', resolve));
  child.stdin.end(`${marker}\necho ran >&2\n`);
  assert.is(await exited, 0);
  await closedChannel;
  assert.is(stderr, '', 'the unfinished command did not run');
  assert.ok(shell.busy, 'a closed shell takes no command');
  assert.is(closed, 1);
  try {
    await shell.run('true', () => {});
    assert.unreachable('closed');
  } catch (error) {
    assert.match(String(error), /busy/);
  }
});

test('driver: a batch runs in order, each command with its own output and status; each stream passes its output on in order', async () => {
  const { shell, child } = await startShell();
  try {
    const seen: string[] = [];
    const at = (n: number) => (stream: 'stdout' | 'stderr', text: string) => seen.push(`${n}${stream[3]}:${text}`);
    const frames = shell.runBatch([
      { line: 'echo one; echo uno >&2; exit 1', stopsBatch: false, onOutput: at(1) },
      { line: 'printf two; printf dos >&2', stopsBatch: true, onOutput: at(2) },
      { line: 'echo three', stopsBatch: true, onOutput: at(3) },
    ]);
    assert.ok(shell.busy);
    const results = await Promise.all(frames);
    assert.equal(results, [
      { exitCode: 1, stdout: 'one\n', stderr: 'uno\n' },
      { exitCode: 0, stdout: 'two', stderr: 'dos' },
      { exitCode: 0, stdout: 'three\n', stderr: '' },
    ]);
    // Across the two streams the order may differ (the caller orders events: SshTransport).
    for (const stream of ['o', 'e']) {
      const frames = seen.filter((s) => s[1] === stream).map((s) => Number(s[0]));
      assert.equal(frames, [...frames].sort(), `${stream === 'o' ? 'stdout' : 'stderr'} in order: ${seen.join(' | ')}`);
    }
    const text = (stream: string) => seen.filter((s) => s[1] === stream).map((s) => s.slice(3)).join('');
    assert.is(text('o'), 'one\ntwothree\n');
    assert.is(text('e'), 'uno\ndos');
    assert.not.ok(shell.busy);
  } finally {
    child.kill();
  }
});

test('driver: a failed command that stops its batch skips the rest of it, and only of it', async () => {
  const { shell, child } = await startShell();
  try {
    const dir = `/tmp/sextant-batch-${process.pid}`;
    const frames = shell.runBatch([
      { line: `rm -rf ${dir}; false`, stopsBatch: true, onOutput: () => {} },
      { line: `mkdir ${dir}`, stopsBatch: false, onOutput: () => {} },
      { line: `mkdir ${dir}/x`, stopsBatch: true, onOutput: () => {} },
    ]);
    const results = await Promise.all(frames);
    assert.is((results[0] as { exitCode: number }).exitCode, 1);
    assert.equal(results.slice(1), ['skipped', 'skipped']);
    const next = await shell.run(`test -e ${dir} && echo ran || echo skipped-for-real`, () => {});
    assert.is(next.stdout, 'skipped-for-real\n', 'the skipped commands did not run; the next batch does');
    const [after] = await Promise.all(shell.runBatch([{ line: 'echo fresh', stopsBatch: true, onOutput: () => {} }]));
    assert.equal(after, { exitCode: 0, stdout: 'fresh\n', stderr: '' });
  } finally {
    child.kill();
  }
});

test('driver: a probe that stops its batch on output skips the rest when it prints anything (its output comes back whole), and lets it run when it prints nothing', async () => {
  const { shell, child } = await startShell();
  try {
    const noop = () => {};
    const found = await Promise.all(
      shell.runBatch([
        { line: "printf 'abc123\\n\\n'; exit 0", stopsBatch: false, stopsOnOutput: true, onOutput: noop },
        { line: 'echo should-not-run', stopsBatch: true, onOutput: noop },
      ]),
    );
    assert.equal(found, [{ exitCode: 0, stdout: 'abc123\n', stderr: '' }, 'skipped']);
    const none = await Promise.all(
      shell.runBatch([
        { line: 'true', stopsBatch: false, stopsOnOutput: true, onOutput: noop },
        { line: 'echo ran', stopsBatch: true, onOutput: noop },
      ]),
    );
    assert.equal(none, [
      { exitCode: 0, stdout: '', stderr: '' },
      { exitCode: 0, stdout: 'ran\n', stderr: '' },
    ]);
    // Its exit status is still its own, and a failure with no output stops nothing unless checked.
    const failed = await Promise.all(
      shell.runBatch([
        { line: 'echo oops >&2; exit 4', stopsBatch: false, stopsOnOutput: true, onOutput: noop },
        { line: 'echo still', stopsBatch: true, onOutput: noop },
      ]),
    );
    assert.equal(failed, [
      { exitCode: 4, stdout: '', stderr: 'oops\n' },
      { exitCode: 0, stdout: 'still\n', stderr: '' },
    ]);
  } finally {
    child.kill();
  }
});

test('driver: a command that ran out of time (exit 124 or 137, as `timeout -k` ends it) stops its batch even when its exit is not checked', async () => {
  const { shell, child } = await startShell();
  try {
    for (const code of [124, 137]) {
      const results = await Promise.all(
        shell.runBatch([
          { line: `exit ${code}`, stopsBatch: false, onOutput: () => {} },
          { line: 'echo should-not-run', stopsBatch: false, onOutput: () => {} },
        ]),
      );
      assert.equal(results, [{ exitCode: code, stdout: '', stderr: '' }, 'skipped']);
    }
  } finally {
    child.kill();
  }
});

test('driver: a command that only continues the batch still runs after an unchecked failure', async () => {
  const { shell, child } = await startShell();
  try {
    const results = await Promise.all(
      shell.runBatch([
        { line: 'exit 3', stopsBatch: false, onOutput: () => {} },
        { line: 'echo after', stopsBatch: true, onOutput: () => {} },
      ]),
    );
    assert.equal(results, [
      { exitCode: 3, stdout: '', stderr: '' },
      { exitCode: 0, stdout: 'after\n', stderr: '' },
    ]);
  } finally {
    child.kill();
  }
});

test('driver: every frame of a batch in flight fails when the channel closes', async () => {
  const { shell, child } = await startShell();
  const frames = shell.runBatch([
    { line: 'sleep 1', stopsBatch: true, onOutput: () => {} },
    { line: 'true', stopsBatch: true, onOutput: () => {} },
  ]);
  child.kill();
  const settled = await Promise.allSettled(frames);
  assert.equal(
    settled.map((s) => s.status),
    ['rejected', 'rejected'],
  );
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /connection lost/);
});

test('driver: a channel that closes before the ready line (no sh there) gives no shell', async () => {
  const channel = Object.assign(new EventEmitter(), { stderr: new EventEmitter() as unknown as NodeJS.ReadableStream });
  (channel.stderr as unknown as { resume: () => void }).resume = () => {};
  const started = RemoteShell.start(channel as unknown as ClientChannel, () => {});
  channel.emit('data', Buffer.from('sh: not found\n'));
  channel.emit('close');
  assert.is(await started, undefined);
});

test('driver: a command in flight when the channel closes fails as a lost connection', async () => {
  const { shell, child } = await startShell();
  const running = shell.run('sleep 1', () => {});
  child.kill();
  try {
    await running;
    assert.unreachable('the channel closed');
  } catch (error) {
    assert.match(String(error), /connection lost/);
  }
});

test('driver: a file written as a frame (what an upload through the shell sends) has exactly its content and mode 0600, also over an existing file of another mode', async () => {
  const { shell, child } = await startShell();
  const dir = mkdtempSync(join(tmpdir(), 'sextant-write-'));
  try {
    const path = join(dir, 'web.env');
    writeFileSync(path, 'an older, longer content\n'.repeat(20), { mode: 0o644 });
    const content = `SECRET_KEY_BASE=a'b"c$HOME\\x\nMULTI="line\\nnext"\nUNICODE=é€\n\nNO_NEWLINE_AT_END=1`;
    const line = render(writeFileCommand(path, content, 0o600), { mapFirstToken: false });
    const result = await shell.run(line, () => {});
    assert.equal(result, { exitCode: 0, stdout: '', stderr: '' });
    assert.is(readFileSync(path, 'utf8'), content);
    assert.is(statSync(path).mode & 0o777, 0o600);
    const fresh = join(dir, 'fresh.env');
    assert.is((await shell.run(render(writeFileCommand(fresh, 'A=1\n', 0o600), { mapFirstToken: false }), () => {})).exitCode, 0);
    assert.is(statSync(fresh).mode & 0o777, 0o600, 'created 0600 (umask 077), never readable by others in between');
    const failed = await shell.run(render(writeFileCommand(join(dir, 'no/such/dir/x.env'), 'A=1\n', 0o600), { mapFirstToken: false }), () => {});
    assert.ok(failed.exitCode !== 0 && failed.stderr.length > 0, 'a folder that is not there fails the write');
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('driver: says whether it can take files as frames (a server without base64 cannot: its uploads stay on SFTP)', async () => {
  // A PATH with `sh` and nothing else.
  const bin = mkdtempSync(join(tmpdir(), 'sextant-path-'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const withBase64 = await startShell();
  const without = await startShell({ PATH: bin }).catch((error: unknown) => {
    withBase64.child.kill();
    throw error;
  });
  try {
    assert.is(withBase64.shell.writesFiles, true);
    assert.is(without.shell.writesFiles, false);
    assert.equal(await without.shell.run('echo still runs commands', () => {}), { exitCode: 0, stdout: 'still runs commands\n', stderr: '' });
  } finally {
    withBase64.child.kill();
    without.child.kill();
    rmSync(bin, { recursive: true, force: true });
  }
});

test('a file written as a frame: the content is an argument of the shell builtin printf only (never of a program), base64-encoded, and redacted when displayed', () => {
  const content = 'SECRET=hunter2\n';
  const command = writeFileCommand('.kamal/apps/app/env/roles/web.env', content, 0o600);
  const line = render(command, { mapFirstToken: false });
  const encoded = Buffer.from(content).toString('base64');
  assert.ok(line.startsWith(`umask 077 && printf '%s' '${encoded}' | base64 -d > `), line);
  assert.not.ok(line.includes('hunter2'));
  assert.is(line.split(encoded).length, 2, 'the content appears once, as printf\'s argument');
  assert.not.ok(renderForDisplay(command).includes(encoded), 'displayed redacted');
});

test.run();
