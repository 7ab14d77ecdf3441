import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const ACCOUNT = 'email@example.com';
const VERSION: FakeResponse = { argv: ['bw', '--version'], stdout: '2024.8.0\n' };
const status = (value: string): FakeResponse => ({
  argv: ['bw', 'status'],
  stdout: JSON.stringify({ serverUrl: null, lastSync: '2024-09-04T10:11:12.433Z', userEmail: ACCOUNT, status: value }) + '\n',
});
const SYNC: FakeResponse = { argv: ['bw', 'sync'], stdout: 'Syncing complete.\n' };

function item(name: string, extra: Record<string, unknown>): FakeResponse {
  return { argv: ['bw', 'get', 'item', name], stdout: JSON.stringify({ object: 'item', id: 'x', name, ...extra }) + '\n' };
}
const loginItem = (name: string, password: string | null, fields?: Array<[string, string]>) =>
  item(name, {
    type: 1,
    login: { uris: [], username: null, password, totp: null },
    ...(fields ? { fields: fields.map(([n, value]) => ({ name: n, value, type: 1, linkedId: null })) } : {}),
  });
const MYPASSWORD = loginItem('mypassword', 'secret123');
const MYITEM = loginItem('myitem', null, [['field1', 'secret1'], ['field2', 'blam'], ['field3', 'fewgrwjgk'], ['field4', 'auto']]);

function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: 'bitwarden', account: ACCOUNT, from, names, env: cli.env });
}

test('fetch an unlocked vault: status, sync, get item; a login item gives its password', async () => {
  const cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, MYPASSWORD], { recordEnv: ['BW_SESSION'] });
  try {
    assert.equal(await run(cli, ['mypassword']), { mypassword: 'secret123' });
    assert.equal(cli.argvs(), [VERSION.argv, ['bw', 'status'], SYNC.argv, MYPASSWORD.argv]);
    assert.ok(cli.calls().every((call) => call.env['BW_SESSION'] === undefined));
  } finally {
    cli.cleanup();
  }
});

test('fetch with --from: item/field keys from the custom fields', async () => {
  const cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, MYITEM]);
  try {
    assert.equal(await run(cli, ['field1', 'field2', 'field3'], 'myitem'), {
      'myitem/field1': 'secret1',
      'myitem/field2': 'blam',
      'myitem/field3': 'fewgrwjgk',
    });
    assert.equal(cli.argvs().at(-1), ['bw', 'get', 'item', 'myitem']);
  } finally {
    cli.cleanup();
  }
});

test('an item without a login password gives all its fields; with neither it fails', async () => {
  const notes = item('mynotefields', { type: 2, secureNote: { type: 0 }, fields: [{ name: 'field1', value: 'secret1' }, { name: 'field4', value: 'auto' }] });
  let cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, notes]);
  try {
    assert.equal(await run(cli, ['mynotefields']), { 'mynotefields/field1': 'secret1', 'mynotefields/field4': 'auto' });
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, item('mynote', { type: 2, notes: 'NOTES', secureNote: { type: 0 } })]);
  try {
    await rejectsWithUserError(() => run(cli, ['mynote']), 'Item mynote is not a login type item and no fields were specified');
  } finally {
    cli.cleanup();
  }
});

test('multiple items: one get item per item, in order', async () => {
  const item2 = loginItem('myitem2', null, [['field3', 'fewgrwjgk']]);
  const cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, MYPASSWORD, MYITEM, item2]);
  try {
    assert.equal(await run(cli, ['mypassword', 'myitem/field1', 'myitem/field2', 'myitem2/field3']), {
      mypassword: 'secret123',
      'myitem/field1': 'secret1',
      'myitem/field2': 'blam',
      'myitem2/field3': 'fewgrwjgk',
    });
    assert.equal(cli.argvs().slice(3), [MYPASSWORD.argv, MYITEM.argv, item2.argv]);
  } finally {
    cli.cleanup();
  }
});

test('unauthenticated: bw login <account>, then unlock --raw; an empty session is not passed on', async () => {
  const login: FakeResponse = { argv: ['bw', 'login', ACCOUNT], stdout: 'You are logged in!\n' };
  const unlock: FakeResponse = { argv: ['bw', 'unlock', '--raw'], stdout: '' };
  const cli = fakeCli(['bw'], [VERSION, status('unauthenticated'), login, status('locked'), unlock, status('unlocked'), SYNC, MYPASSWORD], {
    recordEnv: ['BW_SESSION'],
  });
  try {
    assert.equal(await run(cli, ['mypassword']), { mypassword: 'secret123' });
    assert.equal(cli.argvs(), [
      VERSION.argv, ['bw', 'status'], login.argv, ['bw', 'status'], unlock.argv, ['bw', 'status'], SYNC.argv, MYPASSWORD.argv,
    ]);
    assert.ok(cli.calls().every((call) => call.env['BW_SESSION'] === undefined));
  } finally {
    cli.cleanup();
  }
});

test('locked with a session: BW_SESSION goes to status, sync and get item (in the env, not argv)', async () => {
  const unlock: FakeResponse = { argv: ['bw', 'unlock', '--raw'], stdout: '0987654321' };
  const cli = fakeCli(['bw'], [VERSION, status('locked'), unlock, status('unlocked'), SYNC, MYPASSWORD], { recordEnv: ['BW_SESSION'] });
  try {
    assert.equal(await run(cli, ['mypassword']), { mypassword: 'secret123' });
    const calls = cli.calls();
    assert.equal(
      calls.map((call) => [call.argv.join(' '), call.env['BW_SESSION'] ?? null]),
      [
        ['bw --version', null],
        ['bw status', null],
        ['bw unlock --raw', null],
        ['bw status', '0987654321'],
        ['bw sync', '0987654321'],
        ['bw get item mypassword', '0987654321'],
      ],
    );
  } finally {
    cli.cleanup();
  }
});

test('still locked after unlock, failed sync, failed get item, missing field, missing CLI', async () => {
  const unlockFails: FakeResponse = { argv: ['bw', 'unlock', '--raw'], exitCode: 1 };
  let cli = fakeCli(['bw'], [VERSION, status('locked'), unlockFails, status('locked')]);
  try {
    await rejectsWithUserError(() => run(cli, ['mypassword']), 'Failed to login to and unlock Bitwarden');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bw'], [VERSION, status('unlocked'), { ...SYNC, exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['mypassword']), 'Failed to sync Bitwarden');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, { argv: ['bw', 'get', 'item', 'nope'], exitCode: 1, stderr: 'Not found.' }]);
  try {
    await rejectsWithUserError(() => run(cli, ['nope']), 'Could not read nope from Bitwarden');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bw'], [VERSION, status('unlocked'), SYNC, MYITEM]);
  try {
    await rejectsWithUserError(() => run(cli, ['myitem/field9']), 'Could not find field field9 in item myitem in Bitwarden');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['mynote']), 'Bitwarden CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test.run();
