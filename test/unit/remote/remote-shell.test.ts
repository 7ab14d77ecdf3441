// The remote shell's framing and its driver script. The driver runs in a real local `sh` (the
// same program an SSH exec request starts on a server), reached through a stand-in for the SSH
// channel that only forwards bytes; the framing parser is fed chunks cut at awkward places.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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
});

// ---- the driver in a real sh ----------------------------------------------------------------------

// A local `sh -c <what the exec request runs>` behind the few parts of ssh2's ClientChannel the
// shell uses.
function localChannel() {
  const child = spawn('sh', ['-c', driverCommand()], { stdio: ['pipe', 'pipe', 'pipe'] });
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

async function startShell() {
  const { channel, child } = localChannel();
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

test.run();
