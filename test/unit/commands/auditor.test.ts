// The audit log: Kamal's test/commands/auditor_test.rb, the lines recorded in s01/s05, and hostile
// messages run through a real shell.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditLine, auditLogFile, record, reveal } from '../../../src/commands/auditor.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadFixture } from '../../fixtures/commands/b/load.ts';

const AT = '2025-05-01T12:00:00Z';
const PERFORMER = 'dhh@example.com';
const SEED = 'maintainers@users.noreply.r-seed-56b0d1fe.example';

test('record (Kamal auditor_test.rb)', () => {
  const config = loadFixture('base.yml');
  assert.is(render(record({ config, message: 'app removed container', recordedAt: AT, performer: PERFORMER })),
    `/usr/bin/env mkdir -p .kamal && echo "[${AT}] [${PERFORMER}] app removed container" >> .kamal/app-audit.log`);
});

test('record with a destination', () => {
  const config = loadFixture('base.yml', 'staging');
  assert.is(render(record({ config, message: 'app removed container', recordedAt: AT, performer: PERFORMER })),
    `/usr/bin/env mkdir -p .kamal && echo "[${AT}] [${PERFORMER}] [staging] app removed container" >> .kamal/app-staging-audit.log`);
  assert.is(auditLine({ config, message: 'Booted app version 999', role: 'web', recordedAt: AT, performer: PERFORMER }),
    `[${AT}] [${PERFORMER}] [staging] [web] Booted app version 999`);
});

test('record with the role, and with other details after it', () => {
  const config = loadFixture('base.yml');
  assert.is(render(record({ config, message: 'app removed container', role: 'web', recordedAt: AT, performer: PERFORMER })),
    `/usr/bin/env mkdir -p .kamal && echo "[${AT}] [${PERFORMER}] [web] app removed container" >> .kamal/app-audit.log`);
  assert.is(render(record({ config, message: 'app removed container', details: ['value'], recordedAt: AT, performer: PERFORMER })),
    `/usr/bin/env mkdir -p .kamal && echo "[${AT}] [${PERFORMER}] [value] app removed container" >> .kamal/app-audit.log`);
});

test('recorded lines: s01 (role web) and s05 (accessory boot)', () => {
  const shop = loadFixture('shop.yml');
  assert.is(render(record({ config: shop, message: "Executed cmd 'bin/rails about' on app version abc1234", role: 'web', recordedAt: '2026-11-25T03:15:13Z', performer: SEED })),
    `/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:15:13Z] [${SEED}] [web] Executed cmd 'bin/rails about' on app version abc1234" >> .kamal/shop-audit.log`);
  const cart = loadFixture('accessory-cart.yml');
  assert.is(render(record({ config: cart, message: 'Booted redis accessory', recordedAt: new Date(Date.UTC(2026, 10, 25, 3, 25, 11, 700)), performer: SEED })),
    `/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:25:11Z] [${SEED}] Booted redis accessory" >> .kamal/cart-audit.log`);
});

test('a hostile message is escaped like any Kamal value', () => {
  const config = loadFixture('base.yml');
  const message = `Executed cmd 'echo "$(id)" \`id\` $HOME \${HOME} #{x} \\ ; rm -rf ~' on é`;
  assert.is(render(record({ config, message, recordedAt: AT, performer: PERFORMER })),
    `/usr/bin/env mkdir -p .kamal && echo "[${AT}] [${PERFORMER}] Executed cmd 'echo \\"\\$(id)\\" \\\`id\\\` \\$HOME \${HOME} \\#{x} \\\\ ; rm -rf ~' on "é >> .kamal/app-audit.log`);
});

test('hostile messages written through a real shell land as text, nothing runs', () => {
  const config = loadFixture('base.yml');
  const message = `"; touch pwned; echo "$(touch pwned2)\`touch pwned3\`' #{x} \\n and a real\nnewline ${'$'}{NOPE:-x} é`;
  const dir = mkdtempSync(join(tmpdir(), 'sextant-audit-'));
  try {
    execFileSync('bash', ['--norc', '--noprofile', '-c', render(record({ config, message, recordedAt: AT, performer: PERFORMER }))], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(readdirSync(dir), ['.kamal']);
    // As with Kamal, the text keeps String#dump traces: `\#{`, and a real newline arrives as the two
    // characters \n (bash's echo; dash's echo would turn \n into a newline again).
    const written = readFileSync(join(dir, '.kamal/app-audit.log'), 'utf8');
    assert.is(written, `[${AT}] [${PERFORMER}] "; touch pwned; echo "$(touch pwned2)\`touch pwned3\`' \\#{x} \\n and a real\\nnewline x é\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reveal: the last 50 lines', () => {
  assert.is(render(reveal(loadFixture('base.yml'))), '/usr/bin/env tail -n 50 .kamal/app-audit.log');
  assert.is(auditLogFile(loadFixture('base.yml', 'production')), '.kamal/app-production-audit.log');
});

test.run();
