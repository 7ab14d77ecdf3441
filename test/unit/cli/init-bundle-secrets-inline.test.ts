// Kamal 2.6.0's `init --bundle` and `secrets fetch|extract --inline` (cli/main.rb, cli/secrets.rb).
// Kamal's behaviour, run from a shell: `init --bundle` writes a binstub once ("Binstub already exists
// in bin/kamal (remove first to create a new one)" after that); `--inline` returns the value to an
// in-process caller, so nothing is printed, except fetch's missing-account message, which is printed
// either way. Sextant writes bin/sextant (docs/kamal-compat.md says why).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { fakeCli, type FakeResponse } from '../secrets/fake-cli.ts';

const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-init-'));
  return body(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('init --bundle: the init files, then bin/sextant, which runs this Sextant', () =>
  inTempDir(async (dir) => {
    const io = captureIO(dir);
    assert.is(await runCli(['init', '--bundle'], io), 0, io.stderr);
    const lines = io.stdout.trim().split('\n');
    assert.is(lines[0], 'Created configuration file in config/deploy.yml');
    assert.equal(lines.slice(-2), ['Adding a Sextant binstub...', 'Created binstub file in bin/sextant']);
    const binstub = join(dir, 'bin/sextant');
    assert.ok((statSync(binstub).mode & 0o111) !== 0, 'executable');
    assert.is(execFileSync(binstub, ['version'], { cwd: dir, encoding: 'utf8' }).trim(), packageVersion);
  }));

test('init --bundle leaves an existing binstub alone; init alone writes none', () =>
  inTempDir(async (dir) => {
    const plain = captureIO(dir);
    assert.is(await runCli(['init'], plain), 0);
    assert.not.ok(existsSync(join(dir, 'bin/sextant')));
    assert.not.match(plain.stdout, 'binstub');
    await runCli(['init', '--bundle'], captureIO(dir));
    writeFileSync(join(dir, 'bin/sextant'), '#!/bin/sh\necho mine\n');
    const again = captureIO(dir);
    assert.is(await runCli(['init', '--bundle'], again), 0);
    assert.match(again.stdout, /^Binstub already exists in bin\/sextant \(remove first to create a new one\)$/m);
    assert.is(readFileSync(join(dir, 'bin/sextant'), 'utf8'), '#!/bin/sh\necho mine\n');
  }));

test('secrets extract --inline prints nothing; without it the value; a missing secret fails either way', async () => {
  const json = '{"app/DB_PASSWORD":"s3cret"}';
  const inline = captureIO('/tmp');
  assert.is(await runCli(['secrets', 'extract', 'DB_PASSWORD', json, '--inline'], inline), 0, inline.stderr);
  assert.is(inline.stdout, '');
  const printed = captureIO('/tmp');
  assert.is(await runCli(['secrets', 'extract', 'DB_PASSWORD', json], printed), 0);
  assert.is(printed.stdout, 's3cret\n');
  const missing = captureIO('/tmp');
  assert.is(await runCli(['secrets', 'extract', 'NOPE', json, '--inline'], missing), 1);
  assert.match(missing.stderr, /Could not find secret NOPE/);
});

test('secrets fetch --inline asks the vault and prints nothing; without it the shell-escaped JSON', async () => {
  const VERSION: FakeResponse = { argv: ['doppler', '--version'], stdout: 'v3.69.0\n' };
  const ME: FakeResponse = { argv: ['doppler', 'me', '--json'], stdout: '{"name":"me"}\n' };
  const GET: FakeResponse = {
    argv: ['doppler', 'secrets', 'get', 'SECRET1', '--json', '-p', 'proj', '-c', 'prd'],
    stdout: JSON.stringify({ SECRET1: { computed: 'v1', computedVisibility: 'unmasked', note: '' } }),
  };
  for (const inline of [true, false]) {
    const cli = fakeCli(['doppler'], [VERSION, ME, GET]);
    try {
      const io = captureIO('/tmp', cli.env);
      assert.is(await runCli(['secrets', 'fetch', '-a', 'doppler', '--from', 'proj/prd', 'SECRET1', ...(inline ? ['--inline'] : [])], io), 0, io.stderr);
      assert.equal(cli.argvs().at(-1), GET.argv, 'the vault was asked');
      assert.is(io.stdout, inline ? '' : '\\{\\"SECRET1\\":\\"v1\\"\\}\n');
    } finally {
      cli.cleanup();
    }
  }
});

test("secrets fetch --inline without a required --account still prints Kamal's message", async () => {
  const io = captureIO('/tmp');
  assert.is(await runCli(['secrets', 'fetch', '-a', 'bitwarden', 'x', '--inline'], io), 0);
  assert.is(io.stdout, "No value provided for required options '--account'\n");
});

test.run();
