// src/secrets/process.ts and src/secrets/adapters/base.ts: starting programs (output, exit codes,
// a missing or non-executable program, interactive stderr) and the adapters' shared helpers —
// cases mutation testing found unpinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definedOnly, runProcess, runShellCommand } from '../../../src/secrets/process.ts';
import { fetchWithAdapter, isRecord, parseCliJson, stringValue } from '../../../src/secrets/adapters/base.ts';
import { lookupAdapter } from '../../../src/secrets/adapters/index.ts';
import { rejectsWithUserError } from './assert-error.ts';

const ENV = { PATH: '/usr/bin:/bin' };

test('runProcess captures stdout and stderr and reports the exit code', async () => {
  const result = await runProcess(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], { cwd: tmpdir(), env: ENV });
  assert.equal(result, { exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
});

test('runShellCommand runs through /bin/sh -c in cwd with only the given environment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-process-'));
  try {
    const result = await runShellCommand('pwd; echo "[$ONLY][$UNSET]"', { cwd: dir, env: { ...ENV, ONLY: 'yes', UNSET: undefined } });
    assert.equal(result.stdout.split('\n'), [dir, '[yes][]', '']);
    assert.is(result.exitCode, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing program exits 127 with "command not found"; a non-executable one 126 with the reason', async () => {
  assert.equal(await runProcess(['no-such-program-here'], { cwd: tmpdir(), env: ENV }), {
    exitCode: 127,
    stdout: '',
    stderr: 'no-such-program-here: command not found',
  });
  const dir = mkdtempSync(join(tmpdir(), 'sextant-process-'));
  try {
    const file = join(dir, 'not-executable');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const result = await runProcess([file], { cwd: dir, env: ENV });
    assert.is(result.exitCode, 126);
    assert.match(result.stderr, /EACCES/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an interactive program keeps its stderr on the terminal: none is captured', async () => {
  const result = await runProcess(['/bin/sh', '-c', 'echo out; echo err >&2'], { cwd: tmpdir(), env: ENV, interactive: true });
  assert.equal([result.stdout, result.stderr], ['out\n', '']);
});

test('runProcess needs a program; definedOnly drops unset variables', async () => {
  assert.throws(() => runProcess([], { cwd: tmpdir(), env: ENV }), /runProcess needs a program/);
  assert.equal(definedOnly({ A: 'a', B: undefined, C: '' }), { A: 'a', C: '' });
});

test('stringValue: strings as they are, null and undefined empty, objects as JSON, the rest as written', () => {
  assert.is(stringValue('s'), 's');
  assert.is(stringValue(null), '');
  assert.is(stringValue(undefined), '');
  assert.is(stringValue({ a: [1] }), '{"a":[1]}');
  assert.is(stringValue([1, 'x']), '[1,"x"]');
  assert.is(stringValue(1.5), '1.5');
  assert.is(stringValue(false), 'false');
});

test('isRecord is true for plain objects only', () => {
  assert.ok(isRecord({}));
  assert.not.ok(isRecord([]));
  assert.not.ok(isRecord(null));
  assert.not.ok(isRecord('x'));
});

test('parseCliJson names the first three words of the command, never the output', () => {
  assert.equal(parseCliJson('{"a":1}', ['x']), { a: 1 });
  try {
    parseCliJson('secret-output', ['op', 'item', 'get', 'Vault/Item', '--format']);
    assert.unreachable('no error');
  } catch (error) {
    assert.is((error as Error).message, 'Could not parse the output of `op item get` as JSON');
  }
});

test('fetchWithAdapter refuses a blank account for an adapter that needs one, before running anything', async () => {
  const calls: string[][] = [];
  const context = { env: {}, run: async (call: { argv: string[] }) => (calls.push(call.argv), { exitCode: 0, stdout: '', stderr: '' }) };
  for (const account of [undefined, '', '  ']) {
    await rejectsWithUserError(() => fetchWithAdapter(lookupAdapter('test'), ['A'], { account }, context), "Missing required option '--account'");
  }
  assert.equal(calls, []);
  assert.equal([...(await fetchWithAdapter(lookupAdapter('test'), ['AB'], { account: 'acc' }, context))], [['AB', 'BA']]);
});

test.run();
