import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['op', '--version'], stdout: '2.30.0\n' };
const ACCOUNT_OK: FakeResponse = { argv: ['op', 'account', 'get', '--account', 'myaccount'], stdout: 'ID: X\n' };

function field(vault: string, item: string, section: string, label: string, value: string) {
  return { id: 'a', section: { id: 'c', label: section }, type: 'CONCEALED', label, value, reference: `op://${vault}/${item}/${section}/${label}` };
}

function itemGet(item: string, fieldsArg: string, output: unknown, session?: string): FakeResponse {
  const argv = ['op', 'item', 'get', item, '--vault', 'myvault', '--fields', fieldsArg, '--format', 'json', '--account', 'myaccount'];
  if (session) argv.push('--session', session);
  return { argv, stdout: JSON.stringify(output, null, 2) + '\n' };
}

async function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: '1password', account: 'myaccount', from, names, env: cli.env });
}

test('fetch: one op item get with every field label; keys from the references', async () => {
  const get = itemGet('myitem', 'label=section.SECRET1,label=section.SECRET2,label=section2.SECRET3', [
    field('myvault', 'myitem', 'section', 'SECRET1', 'VALUE1'),
    field('myvault', 'myitem', 'section', 'SECRET2', 'VALUE2'),
    field('myvault', 'myitem', 'section2', 'SECRET3', 'VALUE3'),
  ]);
  const cli = fakeCli(['op'], [VERSION, ACCOUNT_OK, get]);
  try {
    const results = await run(cli, ['section/SECRET1', 'section/SECRET2', 'section2/SECRET3'], 'op://myvault/myitem');
    assert.equal(results, {
      'myvault/myitem/section/SECRET1': 'VALUE1',
      'myvault/myitem/section/SECRET2': 'VALUE2',
      'myvault/myitem/section2/SECRET3': 'VALUE3',
    });
    assert.equal(cli.argvs(), [VERSION.argv, ACCOUNT_OK.argv, get.argv]);
  } finally {
    cli.cleanup();
  }
});

test('fetch with multiple items: one call per item; a single field comes back as an object', async () => {
  const first = itemGet('myitem', 'label=section.SECRET1,label=section.SECRET2', [
    field('myvault', 'myitem', 'section', 'SECRET1', 'VALUE1'),
    field('myvault', 'myitem', 'section', 'SECRET2', 'VALUE2'),
  ]);
  const second = itemGet('myitem2', 'label=section2.SECRET3', field('myvault', 'myitem2', 'section', 'SECRET3', 'VALUE3'));
  const cli = fakeCli(['op'], [VERSION, ACCOUNT_OK, first, second]);
  try {
    const results = await run(cli, ['myitem/section/SECRET1', 'myitem/section/SECRET2', 'myitem2/section2/SECRET3'], 'op://myvault');
    assert.equal(results, {
      'myvault/myitem/section/SECRET1': 'VALUE1',
      'myvault/myitem/section/SECRET2': 'VALUE2',
      'myvault/myitem2/section/SECRET3': 'VALUE3',
    });
    assert.equal(cli.argvs(), [VERSION.argv, ACCOUNT_OK.argv, first.argv, second.argv]);
  } finally {
    cli.cleanup();
  }
});

test('the field defaults to password and a trailing /password is dropped from the key', async () => {
  const get = itemGet('myitem', 'label=password', {
    id: 'p', type: 'CONCEALED', label: 'password', value: 'hunter2', reference: 'op://myvault/myitem/password',
  });
  const cli = fakeCli(['op'], [VERSION, ACCOUNT_OK, get]);
  try {
    assert.equal(await run(cli, ['op://myvault/myitem']), { 'myvault/myitem': 'hunter2' });
    assert.equal(cli.argvs().at(-1), get.argv);
  } finally {
    cli.cleanup();
  }
});

test('not signed in: op signin --force --raw, and its session (newline removed) goes to --session', async () => {
  const accountFails: FakeResponse = { ...ACCOUNT_OK, stdout: '', exitCode: 1 };
  const signin: FakeResponse = { argv: ['op', 'signin', '--account', 'myaccount', '--force', '--raw'], stdout: '1234567890\n' };
  const get = itemGet('myitem', 'label=section.SECRET1', field('myvault', 'myitem', 'section', 'SECRET1', 'VALUE1'), '1234567890');
  const cli = fakeCli(['op'], [VERSION, accountFails, signin, get]);
  try {
    assert.equal(await run(cli, ['section/SECRET1'], 'op://myvault/myitem'), { 'myvault/myitem/section/SECRET1': 'VALUE1' });
    assert.equal(cli.argvs(), [VERSION.argv, ACCOUNT_OK.argv, signin.argv, get.argv]);
  } finally {
    cli.cleanup();
  }
});

test('signin that prints no session: no --session flag', async () => {
  const accountFails: FakeResponse = { ...ACCOUNT_OK, exitCode: 1 };
  const signin: FakeResponse = { argv: ['op', 'signin', '--account', 'myaccount', '--force', '--raw'], stdout: '' };
  const get = itemGet('myitem', 'label=section.SECRET1', field('myvault', 'myitem', 'section', 'SECRET1', 'VALUE1'));
  const cli = fakeCli(['op'], [VERSION, accountFails, signin, get]);
  try {
    assert.equal(await run(cli, ['section/SECRET1'], 'op://myvault/myitem'), { 'myvault/myitem/section/SECRET1': 'VALUE1' });
    assert.equal(cli.argvs().at(-1), get.argv);
  } finally {
    cli.cleanup();
  }
});

test('failed signin and failed item get give Kamal\'s messages', async () => {
  const accountFails: FakeResponse = { ...ACCOUNT_OK, exitCode: 1 };
  const signinFails: FakeResponse = { argv: ['op', 'signin', '--account', 'myaccount', '--force', '--raw'], exitCode: 1 };
  let cli = fakeCli(['op'], [VERSION, accountFails, signinFails]);
  try {
    await rejectsWithUserError(() => run(cli, ['section/SECRET1'], 'op://myvault/myitem'), 'Failed to login to 1Password');
  } finally {
    cli.cleanup();
  }
  const getFails = { ...itemGet('myitem', 'label=section.SECRET1,label=other', []), exitCode: 1, stdout: '' };
  cli = fakeCli(['op'], [VERSION, ACCOUNT_OK, getFails]);
  try {
    await rejectsWithUserError(
      () => run(cli, ['section/SECRET1', 'other'], 'op://myvault/myitem'),
      'Could not read section.SECRET1, other from myitem in the myvault 1Password vault',
    );
  } finally {
    cli.cleanup();
  }
});

test('op missing from PATH: "1Password CLI is not installed"', async () => {
  const cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['section/SECRET1'], 'op://myvault/myitem'), '1Password CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test('one_password, OnePassword and 1Password all run the 1Password CLI the same way; --account is required', async () => {
  for (const adapter of ['one_password', 'OnePassword', '1Password']) {
    const get = itemGet('myitem', 'label=section.SECRET1', field('myvault', 'myitem', 'section', 'SECRET1', 'VALUE1'));
    const cli = fakeCli(['op'], [VERSION, ACCOUNT_OK, get]);
    try {
      const results = await fetchSecrets({ adapter, account: 'myaccount', from: 'op://myvault/myitem', names: ['section/SECRET1'], env: cli.env });
      assert.equal(results, { 'myvault/myitem/section/SECRET1': 'VALUE1' }, adapter);
      assert.equal(cli.argvs(), [VERSION.argv, ACCOUNT_OK.argv, get.argv], adapter);
    } finally {
      cli.cleanup();
    }
    await rejectsWithUserError(() => fetchSecrets({ adapter, names: ['x'] }), "No value provided for required options '--account'");
  }
});

test.run();
