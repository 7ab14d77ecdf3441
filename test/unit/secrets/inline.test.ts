import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInlineSecretsCommand } from '../../../src/secrets/inline.ts';
import { shellSplit } from '../../../src/secrets/shellwords.ts';
import { rejectsWithUserError } from './assert-error.ts';

const context = { cwd: process.cwd(), env: {} };
const run = (line: string) => runInlineSecretsCommand(shellSplit(line).slice(1), context);

test('fetch returns the shell-escaped JSON; option spellings Thor accepts', async () => {
  const expected = '\\{\\"foo\\":\\"oof\\",\\"bar\\":\\"rab\\"\\}';
  for (const line of [
    'kamal secrets fetch --adapter test --account myaccount foo bar',
    'kamal secrets fetch foo bar -a test --account=myaccount',
    'kamal secrets fetch -a=test foo --account myaccount bar',
    'kamal secrets fetch -v -c config/deploy.yml --adapter test foo --account myaccount -d staging bar',
    'kamal secrets fe -a test --account myaccount foo bar',
  ]) {
    assert.is(await run(line), expected, line);
  }
});

test('--from prefixes; names after -- are positional', async () => {
  assert.is(await run('kamal secrets fetch -a test --account a --from v x'), '\\{\\"v/x\\":\\"x/v\\"\\}');
  assert.is(await run('kamal secrets fetch -a test --account a -- --x'), '\\{\\"--x\\":\\"x--\\",\\"--inline\\":\\"enilni--\\"\\}');
});

test('a string option with no value falls back to its name, as Thor does', async () => {
  // `--from` directly before `--inline`: Thor sets from = "from"
  assert.is(await run('kamal secrets fetch -a test --account a x --from'), '\\{\\"from/x\\":\\"x/morf\\"\\}');
});

test("missing --adapter, missing --account, unknown adapter: Kamal's messages", async () => {
  await rejectsWithUserError(() => run('kamal secrets fetch --account a x'), "No value provided for required options '--adapter'");
  await rejectsWithUserError(() => run('kamal secrets fetch x --adapter'), "No value provided for option '--adapter'");
  await rejectsWithUserError(() => run('kamal secrets fetch -a test x'), "No value provided for required options '--account'");
  await rejectsWithUserError(() => run('kamal secrets fetch -a nope --account a x'), 'Unknown secrets adapter: nope');
});

test('extract takes NAME and the JSON (an escaped fetch result splits back into one word)', async () => {
  const json = await run('kamal secrets fetch -a test --account a --from Vault DB_PASSWORD OTHER');
  assert.is(await run(`kamal secrets extract DB_PASSWORD ${json}`), 'DROWSSAP_BD/tluaV');
  await rejectsWithUserError(() => run(`kamal secrets extract MISSING ${json}`), 'Could not find secret MISSING');
  await rejectsWithUserError(() => run('kamal secrets extract ONLY_NAME'), /called with 1 argument/);
});

test('other commands are refused', async () => {
  await rejectsWithUserError(() => run('kamal secrets print'), '`secrets print` cannot be used inside a secrets file');
  await rejectsWithUserError(() => run('kamal secrets nope x'), 'Could not find command "nope" in "secrets" namespace.');
  await rejectsWithUserError(() => run('kamalsecrets fetch x'), 'Could not find command "fetch".');
});

test.run();
