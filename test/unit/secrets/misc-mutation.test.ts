// src/secrets commands.ts, load.ts, ruby.ts: cases mutation testing found unpinned — extract's
// fallback for false/null values, the default CLI runner's environment and interactive stderr,
// secrets files that are directories, start with a BOM or cannot be read, and Ruby string helpers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCliRunner, extractSecret, MissingAccountError } from '../../../src/secrets/commands.ts';
import { loadSecrets } from '../../../src/secrets/load.ts';
import { rubyDecode64, rubyStrip } from '../../../src/secrets/ruby.ts';
import { rejectsWithUserError } from './assert-error.ts';

test('extract: an exact key whose value is false or null falls back to a key ending in /NAME', () => {
  assert.is(extractSecret('A', '{"A":false,"x/A":"from-suffix"}'), 'from-suffix');
  assert.is(extractSecret('A', '{"A":null,"x/A":"from-suffix"}'), 'from-suffix');
  assert.is(extractSecret('A', '{"A":"","x/A":"from-suffix"}'), '');
  assert.is(extractSecret('A', '{"A":0}'), '0');
  assert.throws(() => extractSecret('A', '{"A":null,"x/A":null}'), /Could not find secret A/);
  // as Kamal's `secrets[name] || secrets.find { … }`: false alone is no value
  assert.throws(() => extractSecret('A', '{"A":false}'), /Could not find secret A/);
});

test('MissingAccountError is named so', () => {
  assert.is(new MissingAccountError().name, 'MissingAccountError');
});

test('the default CLI runner adds the call environment and lets an interactive call keep stderr', async () => {
  const run = defaultCliRunner(tmpdir(), { PATH: '/usr/bin:/bin', BASE: 'base', OVER: 'old' });
  const script = 'echo "$BASE $OVER $EXTRA"; echo err >&2';
  const plain = await run({ argv: ['/bin/sh', '-c', script], env: { OVER: 'new', EXTRA: 'x' } });
  assert.equal([plain.stdout, plain.stderr], ['base new x\n', 'err\n']);
  const interactive = await run({ argv: ['/bin/sh', '-c', script], interactive: true });
  assert.equal([interactive.stdout, interactive.stderr], ['base old \n', '']);
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-secrets-'));
  mkdirSync(join(dir, '.kamal'));
  return dir;
}

test('a secrets "file" that is a directory is not read; a BOM at the start is dropped, not elsewhere', async () => {
  const dir = project();
  try {
    mkdirSync(join(dir, '.kamal', 'secrets'));
    writeFileSync(join(dir, '.kamal', 'secrets-common'), '\uFEFFA=1\nB=\uFEFF2\n');
    const secrets = await loadSecrets({ cwd: dir, env: {} });
    assert.equal(secrets.files, ['.kamal/secrets-common']);
    assert.equal(secrets.toRecord(), { A: '1', B: '\uFEFF2' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a secrets file that cannot be read is an error naming it', async () => {
  const dir = project();
  try {
    symlinkSync('secrets', join(dir, '.kamal', 'secrets')); // a link to itself: ELOOP
    await rejectsWithUserError(() => loadSecrets({ cwd: dir, env: {} }), /^Could not read \.kamal\/secrets: ELOOP/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rubyStrip strips vertical tabs (not the letter V); rubyDecode64 skips characters outside the alphabet', () => {
  assert.is(rubyStrip('\v\0 x \v'), 'x');
  assert.is(rubyStrip('VxV'), 'VxV');
  assert.is(rubyDecode64('QU*JD').toString('latin1'), 'ABC');
  assert.is(rubyDecode64('Q\u00e9U!JD').toString('latin1'), 'ABC');
});

test.run();
