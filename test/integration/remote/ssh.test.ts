// The ssh2 transport against the testbed's real sshd: one reused connection per host, streamed
// output and exit codes, uploads with their mode, a bastion, and how failures are classified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argv, script } from '../../../src/commands/command.ts';
import { CommandFailed, HostDown, RemoteError } from '../../../src/remote/failures.ts';
import { SHELL_READY } from '../../../src/remote/remote-shell.ts';
import { SshPool, type SshSettings } from '../../../src/remote/ssh.ts';
import { inSequence } from '../../../src/remote/sequence.ts';
import type { CommandObserver } from '../../../src/remote/transport.ts';
import { DEFAULT_DEADLINES, StepTimedOut } from '../../../src/remote/watchdog.ts';
import { ensureTestbed, faults } from '../../testbed/index.ts';

const testbed = await ensureTestbed({ servers: 3 });
const [srv1, srv2] = testbed.servers.map((s) => s.ip) as [string, string];
const settings = (more: Partial<SshSettings> = {}): SshSettings => ({
  user: 'root',
  port: 22,
  keys: [testbed.sshKeyPath],
  keysOnly: true,
  maxConcurrentStarts: 30,
  poolIdleTimeoutSeconds: 900,
  connectTimeoutSeconds: 5,
  ...more,
});

test('commands share one connection per host; output streams; exit codes come back', async () => {
  const pool = new SshPool(settings());
  try {
    const t = pool.transport(srv1);
    const clients = new Set<string>();
    for (let i = 0; i < 5; i++) clients.add((await t.exec(script('echo $SSH_CLIENT'))).stdout.trim());
    assert.is(clients.size, 1, `one TCP connection (source ip and port) for every command: ${[...clients].join(' | ')}`);
    const chunks: string[] = [];
    const streamed = await t.exec(script('echo one; sleep 0.2; echo two >&2; echo three'), { onOutput: (stream, text) => chunks.push(`${stream}:${text.trim()}`) });
    assert.is(streamed.stdout, 'one\nthree\n');
    assert.is(streamed.stderr, 'two\n');
    assert.ok(chunks.includes('stdout:one') && chunks.includes('stderr:two'));
    const failed = await t.exec(script('echo nope >&2; exit 3'), { check: false });
    assert.equal([failed.exitCode, failed.stderr], [3, 'nope\n']);
    try {
      await t.exec(argv('false'));
      assert.unreachable('a non-zero exit throws');
    } catch (error) {
      assert.instance(error, CommandFailed);
      assert.is((error as CommandFailed).kind, 'permanent', 'a command that ran and said no is not retried');
    }
  } finally {
    await pool.closeAll();
  }
});

// The command's ancestors on the server, nearest first: is a long-lived driver one of them?
const ancestry = argv('sh', '-c', 'p=$$; while [ "$p" -gt 1 ]; do p=$(ps -o ppid= -p "$p" | tr -d " "); ps -o args= -p "$p"; done');

test('commands with a deadline run in long-lived remote shells: same exit codes and streams, several at once, the watchdog still kills', async () => {
  const pool = new SshPool(settings({ deadlines: { ...DEFAULT_DEADLINES, command: 2 } }));
  try {
    const t = pool.transport(srv1);
    // The first command goes out on its own channel while the connection's shells start.
    let first = '';
    for (let i = 0; i < 10 && !first.includes(SHELL_READY); i++) first = (await t.exec(ancestry)).stdout;
    assert.match(first, SHELL_READY, 'a driver is an ancestor');
    assert.match(first, /timeout -k 5 2 sh -c/, 'under the watchdog');
    const drivers = (out: string) => out.split('\n').filter((l) => l.includes(SHELL_READY));
    assert.equal(drivers((await t.exec(ancestry)).stdout).at(-1), drivers(first).at(-1));
    const failed = await t.exec(argv('sh', '-c', 'printf partial; echo nope >&2; exit 3'), { check: false });
    assert.equal(failed, { exitCode: 3, stdout: 'partial', stderr: 'nope\n' });
    // More at once than there are shells: each still gets its own output.
    const many = await Promise.all(Array.from({ length: 9 }, (_, i) => t.exec(argv('sh', '-c', `sleep 0.2; echo out${i}; echo err${i} >&2`))));
    assert.equal(many.map((r) => `${r.stdout}${r.stderr}`), Array.from({ length: 9 }, (_, i) => `out${i}\nerr${i}\n`));
    try {
      // An odd length, so that the check below cannot count somebody else's `sleep` (the test
      // servers share the machine's process table).
      await t.exec(argv('sleep', '29.731'));
      assert.unreachable('past its deadline');
    } catch (error) {
      assert.instance(error, StepTimedOut);
    }
    // Killed by the server's `timeout -k 5`: TERM at the deadline, KILL at most 5 s later (a loaded
    // machine may take a moment to reap it).
    let left = '';
    for (let i = 0; i < 16 && left !== '0'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      left = (await t.exec(argv('sh', '-c', 'pgrep -x sleep -a | grep -c " sleep 29\\.731$" || true'))).stdout.trim();
    }
    assert.is(left, '0', 'the command was killed');
    assert.is((await t.exec(argv('echo', 'next'))).stdout, 'next\n');
  } finally {
    await pool.closeAll();
  }
});

test('a sequence goes to one remote shell at once: each command its own events, output and status, in order; a checked failure throws and the rest does not run', async () => {
  const events: string[] = [];
  const observer: CommandObserver = {
    start: (_host, line) => (events.push(`start ${line}`), events.length),
    output: (_id, _host, stream, text) => void events.push(`${stream} ${text.trim()}`),
    end: (_id, _host, exitCode) => void events.push(`end ${exitCode}`),
  };
  const pool = new SshPool(settings(), observer);
  try {
    const t = pool.transport(srv2);
    await t.exec(argv('true'));
    // A shell is idle now, so the sequence is written to it in one go.
    const marker = `/tmp/sextant-sequence-${process.pid}`;
    const results = await inSequence(t, [
      { command: argv('sh', '-c', 'echo one; exit 4'), check: false },
      { command: argv('sh', '-c', 'sleep 0.3; echo two >&2') },
      { command: argv('echo', 'three') },
    ]);
    assert.equal(results.map((r) => [r.exitCode, r.stdout, r.stderr]), [[4, 'one\n', ''], [0, '', 'two\n'], [0, 'three\n', '']]);
    const after = events.slice(events.indexOf('end 0') + 1);
    assert.equal(after, [
      "start /usr/bin/env sh -c 'echo one; exit 4'",
      'stdout one',
      'end 4',
      "start /usr/bin/env sh -c 'sleep 0.3; echo two >&2'",
      'stderr two',
      'end 0',
      'start /usr/bin/env echo three',
      'stdout three',
      'end 0',
    ]);
    try {
      await inSequence(t, [{ command: argv('rm', '-f', marker) }, { command: argv('false') }, { command: argv('touch', marker) }]);
      assert.unreachable('the second command fails');
    } catch (error) {
      assert.instance(error, CommandFailed);
      assert.match((error as CommandFailed).message, 'false');
    }
    assert.is((await t.exec(argv('sh', '-c', `test -e ${marker} && echo ran || echo not-run`))).stdout, 'not-run\n', 'the command after the failure did not run');
    assert.not.ok(events.some((e) => e.startsWith('start') && e.includes('touch')), 'and has no start event');
  } finally {
    await pool.closeAll();
  }
});

test('an upload in a sequence is written by the remote shell in its place (the command after it reads it), mode 0600, its content in no event; a failed write stops the sequence', async () => {
  const events: string[] = [];
  const observer: CommandObserver = {
    start: (_host, line) => (events.push(`start ${line}`), events.length),
    output: (_id, _host, stream, text) => void events.push(`${stream} ${text}`),
    end: (_id, _host, exitCode) => void events.push(`end ${exitCode}`),
  };
  const pool = new SshPool(settings(), observer);
  try {
    const t = pool.transport(srv2);
    await t.exec(script('rm -rf .sextant-seq && mkdir .sextant-seq && printf old > .sextant-seq/web.env && chmod 644 .sextant-seq/web.env'));
    const secret = `S3CRET-${process.pid}-'"$`;
    const results = await inSequence(t, [
      { command: argv('mkdir', '-p', '.sextant-seq/roles') },
      { upload: { path: '.sextant-seq/web.env', content: `KEY=${secret}\n`, mode: 0o600 } },
      { command: script("stat -c '%a' .sextant-seq/web.env && cat .sextant-seq/web.env") },
    ]);
    assert.is(results[2]?.stdout, `600\nKEY=${secret}\n`);
    // The upload makes no events of its own (the stat's output shows the file, as the test asked).
    const starts = events.filter((e) => e.startsWith('start'));
    assert.equal(starts.slice(-2), ['start /usr/bin/env mkdir -p .sextant-seq/roles', "start stat -c '%a' .sextant-seq/web.env && cat .sextant-seq/web.env"]);
    assert.not.ok(starts.some((e) => e.includes('S3CRET') || e.includes(Buffer.from(`KEY=${secret}\n`).toString('base64'))), starts.join('\n'));
    const marker = '.sextant-seq/after';
    try {
      await inSequence(t, [{ upload: { path: '.sextant-seq/no/such/dir/x.env', content: 'A=1\n', mode: 0o600 } }, { command: argv('touch', marker) }]);
      assert.unreachable('the write fails');
    } catch (error) {
      assert.instance(error, RemoteError);
      assert.match((error as Error).message, 'upload of .sextant-seq/no/such/dir/x.env failed');
    }
    assert.is((await t.exec(script(`test -e ${marker} && echo ran || echo not-run`))).stdout, 'not-run\n');
    await t.exec(script('rm -rf .sextant-seq'));
  } finally {
    await pool.closeAll();
  }
});

test('uploads land with the requested mode, also over an existing file', async () => {
  const pool = new SshPool(settings());
  try {
    const t = pool.transport(srv1);
    await t.exec(script('rm -rf .sextant-test && mkdir -p .sextant-test && touch .sextant-test/app.env && chmod 644 .sextant-test/app.env'));
    await t.upload('.sextant-test/app.env', 'SECRET=x\n', 0o600);
    await t.uploadDirectory('.sextant-test', 'v1', { '404.html': 'nope', '500.html': 'oops' }, 0o700);
    const listing = (await t.exec(script("stat -c '%a %n' .sextant-test/app.env .sextant-test/v1 .sextant-test/v1/404.html .sextant-test/v1/500.html && cat .sextant-test/app.env"))).stdout;
    assert.is(listing, '600 .sextant-test/app.env\n700 .sextant-test/v1\n700 .sextant-test/v1/404.html\n700 .sextant-test/v1/500.html\nSECRET=x\n');
    await t.exec(script('rm -rf .sextant-test'));
  } finally {
    await pool.closeAll();
  }
});

test('uploads share one SFTP channel: several at once, a shorter file over a longer one (truncated), and one larger than a single SFTP write', async () => {
  const pool = new SshPool(settings());
  try {
    const t = pool.transport(srv1);
    await t.exec(script('rm -rf .sextant-test && mkdir -p .sextant-test && printf "%0200d" 0 > .sextant-test/a.env'));
    const big = 'x'.repeat(300 * 1024) + '\nEND\n';
    await Promise.all([t.upload('.sextant-test/a.env', 'A=1\n', 0o600), t.upload('.sextant-test/b.env', 'B=2\n', 0o640), t.upload('.sextant-test/big', big, 0o600)]);
    await t.upload('.sextant-test/b.env', 'B=3\n', 0o600);
    const listing = (await t.exec(script("stat -c '%a %s %n' .sextant-test/a.env .sextant-test/b.env .sextant-test/big && cat .sextant-test/a.env .sextant-test/b.env && tail -c 4 .sextant-test/big"))).stdout;
    assert.is(listing, `600 4 .sextant-test/a.env\n600 4 .sextant-test/b.env\n600 ${big.length} .sextant-test/big\nA=1\nB=3\nEND\n`);
    await t.exec(script('rm -rf .sextant-test'));
  } finally {
    await pool.closeAll();
  }
});

test('ssh.proxy: a host is reached through a bastion', async () => {
  const pool = new SshPool(settings({ proxy: `root@${srv1}` }));
  try {
    const seen = (await pool.transport(srv2).exec(script('echo $SSH_CLIENT; cat /etc/hostname'))).stdout.trim().split('\n');
    assert.is(seen[0]?.split(' ')[0], srv1, 'srv2 sees the connection coming from the bastion');
    assert.is(seen[1], testbed.servers[1]?.name);
  } finally {
    await pool.closeAll();
  }
});

test('refused connections are retried until down_after, then the host is down (permanent); a short refusal is ridden out; a refused key is permanent', async () => {
  await faults.stopSshd(srv2);
  try {
    const pool = new SshPool(settings({ downAfterSeconds: 2 }));
    try {
      await pool.transport(srv2).exec(script('true'));
      assert.unreachable('sshd is stopped');
    } catch (error) {
      assert.instance(error, HostDown);
      assert.is((error as RemoteError).kind, 'permanent', String(error));
      assert.match(String(error), /ECONNREFUSED/);
    } finally {
      await pool.closeAll();
    }
    // sshd comes back within down_after: the same kind of command goes through.
    const patient = new SshPool(settings({ downAfterSeconds: 10 }));
    try {
      const pending = patient.transport(srv2).exec(script('echo back'));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await faults.startSshd(srv2);
      assert.is((await pending).stdout.trim(), 'back');
    } finally {
      await patient.closeAll();
    }
  } finally {
    await faults.startSshd(srv2);
  }
  const stranger = new SshPool(settings({ keys: [], keyData: [], keysOnly: true }));
  try {
    await stranger.transport(srv2).exec(script('true'));
    assert.unreachable('no key, no entry');
  } catch (error) {
    assert.instance(error, RemoteError);
    assert.is((error as RemoteError).kind, 'permanent', String(error));
  } finally {
    await stranger.closeAll();
  }
});

test('a connection that breaks is dropped, and the next command connects again', async () => {
  const pool = new SshPool(settings());
  try {
    const t = pool.transport(srv2);
    const before = (await t.exec(script('echo $SSH_CLIENT'))).stdout;
    await faults.resetSsh(srv2);
    try {
      await t.exec(script('sleep 1; echo late'));
      assert.unreachable('the reset breaks the command');
    } catch (error) {
      assert.is((error as RemoteError).kind, 'transient', String(error));
    } finally {
      await faults.clearSshFilters(srv2);
    }
    const after = (await t.exec(script('echo $SSH_CLIENT'))).stdout;
    assert.is.not(after, before, 'a new connection (another source port)');
  } finally {
    await pool.closeAll();
  }
});

test.run();
