import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['enpass-cli', 'version'], stdout: '1.6.0\n' };
const VAULT = '/home/me/Documents/Enpass/Vaults/primary';
const password = (title: string, label: string, value: string) => ({ category: 'computer', label, login: '', password: value, title, type: 'password' });
const show = (titles: string[], items: unknown[]): FakeResponse => ({
  argv: ['enpass-cli', '-json', '-vault', VAULT, 'show', ...titles],
  stdout: JSON.stringify(items) + '\n',
});

function run(cli: ReturnType<typeof fakeCli>, names: string[]) {
  return fetchSecrets({ adapter: 'enpass', from: VAULT, names, env: cli.env });
}

test('Title/label fetches one password; --from is the vault path, not a prefix', async () => {
  const call = show(['FooBar'], [password('FooBar', 'SECRET_1', 'my-password-1')]);
  const cli = fakeCli(['enpass-cli'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['FooBar/SECRET_1']), { 'FooBar/SECRET_1': 'my-password-1' });
    assert.equal(cli.argvs(), [VERSION.argv, call.argv]);
  } finally {
    cli.cleanup();
  }
});

test('several labels of one item: the title is asked for once; other items are ignored', async () => {
  const call = show(['FooBar'], [
    password('FooBar', 'SECRET_1', 'my-password-1'),
    password('FooBar', 'SECRET_2', 'my-password-2'),
    password('Hello', 'SECRET_3', 'my-password-1'),
  ]);
  const cli = fakeCli(['enpass-cli'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['FooBar/SECRET_1', 'FooBar/SECRET_2']), { 'FooBar/SECRET_1': 'my-password-1', 'FooBar/SECRET_2': 'my-password-2' });
    assert.equal(cli.argvs().at(-1), call.argv);
  } finally {
    cli.cleanup();
  }
});

test('a bare title gives all its passwords; an unlabelled one is keyed by the title; blank passwords are skipped', async () => {
  const call = show(['FooBar'], [
    password('FooBar', 'SECRET_1', 'my-password-1'),
    password('FooBar', 'SECRET_2', 'my-password-2'),
    password('Hello', 'SECRET_3', 'my-password-1'),
    password('FooBar', '', 'my-password-3'),
    password('FooBar', 'BLANK', '   '),
  ]);
  const cli = fakeCli(['enpass-cli'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['FooBar']), { 'FooBar/SECRET_1': 'my-password-1', 'FooBar/SECRET_2': 'my-password-2', FooBar: 'my-password-3' });
  } finally {
    cli.cleanup();
  }
});

test('a key present twice fails; a missing CLI fails', async () => {
  let cli = fakeCli(['enpass-cli'], [VERSION, show(['FooBar'], [password('FooBar', 'A', '1'), password('FooBar', 'A', '2')])]);
  try {
    await rejectsWithUserError(() => run(cli, ['FooBar']), 'FooBar/A is present more than once');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['mynote']), 'Enpass CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test.run();
