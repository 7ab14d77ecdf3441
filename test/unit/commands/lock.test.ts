// The deploy lock: Kamal's test/commands/lock_test.rb, the lines recorded in s01/s05, Ruby
// Base64.encode64 wrapping, and a hostile message run through a real shell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquire, encode64, iso8601, lockDetails, lockDir, release, status, AUTOMATIC_LOCK_MESSAGE } from '../../../src/commands/lock.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadFixture } from '../../fixtures/commands/b/load.ts';

const line = (recorded: string) => recorded.replace(/␤/g, '\n');
const SEED_USER = 'Seed 56b0d1fe maintainers';

test('lock directory with and without a destination', () => {
  assert.is(lockDir(loadFixture('base.yml')), '.kamal/lock-app');
  assert.is(lockDir(loadFixture('base.yml', 'production')), '.kamal/lock-app-production');
});

test('status and release (Kamal lock_test.rb, destination production)', () => {
  const config = loadFixture('base.yml', 'production');
  assert.is(render(status(config)), '/usr/bin/env stat .kamal/lock-app-production > /dev/null && cat .kamal/lock-app-production/details | base64 -d');
  assert.is(render(release(config)), '/usr/bin/env rm .kamal/lock-app-production/details && rm -r .kamal/lock-app-production');
});

test('acquire: the s01 recording (lock acquire -m "hello world")', () => {
  const config = loadFixture('shop.yml');
  const command = acquire({ config, message: 'hello world', version: 'abc1234', lockedBy: SEED_USER, at: '2026-11-25T03:15:12Z' });
  assert.is(render(command), line(
    '/usr/bin/env mkdir .kamal/lock-shop && echo "TG9ja2VkIGJ5OiBTZWVkIDU2YjBkMWZlIG1haW50YWluZXJzIGF0IDIwMjYt␤MTEtMjVUMDM6MTU6MTJaClZlcnNpb246IGFiYzEyMzQKTWVzc2FnZTogaGVs␤bG8gd29ybGQ=␤" > .kamal/lock-shop/details',
  ));
});

test('acquire: the automatic lock of s05, with a Date', () => {
  const config = loadFixture('accessory-cart.yml');
  const command = acquire({ config, message: AUTOMATIC_LOCK_MESSAGE, version: 'abc1234', lockedBy: SEED_USER, at: new Date(Date.UTC(2026, 10, 25, 3, 25, 11, 456)) });
  assert.is(render(command), line(
    '/usr/bin/env mkdir .kamal/lock-cart && echo "TG9ja2VkIGJ5OiBTZWVkIDU2YjBkMWZlIG1haW50YWluZXJzIGF0IDIwMjYt␤MTEtMjVUMDM6MjU6MTFaClZlcnNpb246IGFiYzEyMzQKTWVzc2FnZTogQXV0␤b21hdGljIGRlcGxveSBsb2Nr␤" > .kamal/lock-cart/details',
  ));
});

test('acquire with a destination (Kamal lock_test.rb shape)', () => {
  const rendered = render(acquire({ config: loadFixture('base.yml', 'production'), message: 'Hello', version: '123', lockedBy: 'DHH', at: '2025-05-01T12:00:00Z' }));
  assert.match(rendered, /^\/usr\/bin\/env mkdir \.kamal\/lock-app-production && echo "[A-Za-z0-9+/=\n]*" > \.kamal\/lock-app-production\/details$/);
});

test('details text: three lines, time without fraction, trailing whitespace stripped', () => {
  assert.is(lockDetails({ message: 'Automatic deploy lock', version: '999', lockedBy: 'DHH', at: new Date(Date.UTC(2025, 4, 1, 12, 0, 0)) }),
    'Locked by: DHH at 2025-05-01T12:00:00Z\nVersion: 999\nMessage: Automatic deploy lock');
  assert.is(lockDetails({ message: 'bye \n\t ', version: '1', lockedBy: 'x', at: '2025-05-01T12:00:00Z' }), 'Locked by: x at 2025-05-01T12:00:00Z\nVersion: 1\nMessage: bye');
  assert.is(iso8601(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 999))), '2026-01-02T03:04:05Z');
});

test('KAMAL-FACTS §1.4 example', () => {
  const details = lockDetails({ message: 'Automatic deploy lock', version: '999', lockedBy: 'DHH', at: '2025-05-01T12:00:00Z' });
  assert.is(encode64(details), 'TG9ja2VkIGJ5OiBESEggYXQgMjAyNS0wNS0wMVQxMjowMDowMFoKVmVyc2lv\nbjogOTk5Ck1lc3NhZ2U6IEF1dG9tYXRpYyBkZXBsb3kgbG9jaw==\n');
});

test('encode64 matches Ruby Base64.encode64 (60-char lines, final newline, UTF-8)', () => {
  assert.is(encode64(''), '');
  for (const text of ['a', 'ab', 'abc', 'abcd', 'x'.repeat(45), 'x'.repeat(46), 'x'.repeat(90), 'é😃 ü', 'line\nbreak\0nul']) {
    const flat = Buffer.from(text, 'utf8').toString('base64');
    const expected = flat.replace(/.{1,60}/g, '$&\n');
    assert.is(encode64(text), expected, JSON.stringify(text));
  }
  assert.is(encode64('\ud800x'), Buffer.from('\ufffdx', 'utf8').toString('base64') + '\n');
});

test('a hostile message only reaches the shell as base64: run it for real', () => {
  const message = `"; touch pwned; echo "$(touch pwned2)\`touch pwned3\`' \${HOME} \\ é\nsecond line`;
  const config = loadFixture('base.yml');
  const acquireLine = render(acquire({ config, message, version: '999', lockedBy: 'O\'Brien "ob"', at: '2025-05-01T12:00:00Z' }));
  assert.match(acquireLine, /^\/usr\/bin\/env mkdir \.kamal\/lock-app && echo "[A-Za-z0-9+/=\n]*" > \.kamal\/lock-app\/details$/);
  const dir = mkdtempSync(join(tmpdir(), 'sextant-lock-'));
  try {
    execFileSync('sh', ['-c', `mkdir .kamal && ${acquireLine}`], { cwd: dir });
    assert.equal(readdirSync(dir), ['.kamal']);
    const shown = execFileSync('sh', ['-c', render(status(config))], { cwd: dir, encoding: 'utf8' });
    assert.is(shown, `Locked by: O'Brien "ob" at 2025-05-01T12:00:00Z\nVersion: 999\nMessage: ${message}`);
    assert.is(readFileSync(join(dir, '.kamal/lock-app/details'), 'utf8'), `${encode64(shown)}\n`);
    assert.throws(() => execFileSync('sh', ['-c', acquireLine], { cwd: dir, stdio: 'pipe' }), /cannot create directory|File exists/);
    execFileSync('sh', ['-c', render(release(config))], { cwd: dir });
    assert.equal(readdirSync(join(dir, '.kamal')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
