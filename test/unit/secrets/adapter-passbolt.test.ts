// Passbolt (Kamal 2.7's adapter) against a fake `passbolt` CLI: the calls Kamal's adapter makes,
// in its order, with its filters; root secrets, folders, nested folders and the errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['passbolt', '--version'], stdout: 'passbolt version 0.3.2\n' };
const VERIFY: FakeResponse = { argv: ['passbolt', 'verify'], stdout: 'Verification successful\n' };
const COLUMNS = ['--column', 'name', '--column', 'password', '--json'];
const resources = (items: Array<[string, string]>) => JSON.stringify(items.map(([name, password]) => ({ name, password })));

function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: 'passbolt', from, names, env: cli.env });
}

test('root secrets: one list with a Name filter per secret', async () => {
  const list: FakeResponse = {
    argv: ['passbolt', 'list', 'resources', '--filter', 'Name == "SECRET1" || Name == "SECRET2"', ...COLUMNS],
    stdout: resources([['SECRET1', 'one'], ['SECRET2', 'two']]),
  };
  const cli = fakeCli(['passbolt'], [VERSION, VERIFY, list]);
  try {
    assert.equal(await run(cli, ['SECRET1', 'SECRET2']), { SECRET1: 'one', SECRET2: 'two' });
    assert.equal(cli.argvs(), [VERSION.argv, VERIFY.argv, list.argv]);
  } finally {
    cli.cleanup();
  }
});

test('--from a nested folder: parent by name, child by name and parent id, then resources in the deepest folder', async () => {
  const parent: FakeResponse = { argv: ['passbolt', 'list', 'folders', '--filter', 'Name == "app"', '--json'], stdout: JSON.stringify([{ id: 'f1', name: 'app', folder_parent_id: '' }]) };
  const child: FakeResponse = {
    argv: ['passbolt', 'list', 'folders', '--filter', 'Name == "prod" && FolderParentID == "f1"', '--json'],
    stdout: JSON.stringify([{ id: 'f2', name: 'prod', folder_parent_id: 'f1' }]),
  };
  const list: FakeResponse = {
    argv: ['passbolt', 'list', 'resources', '--filter', '(Name == "DB_PASSWORD" && FolderParentID == "f2")', '--folder', 'f1', '--folder', 'f2', ...COLUMNS],
    stdout: resources([['DB_PASSWORD', 's3cret']]),
  };
  const cli = fakeCli(['passbolt'], [VERSION, VERIFY, parent, child, list]);
  try {
    assert.equal(await run(cli, ['DB_PASSWORD'], 'app/prod'), { DB_PASSWORD: 's3cret' });
    assert.equal(cli.argvs(), [VERSION.argv, VERIFY.argv, parent.argv, child.argv, list.argv]);
  } finally {
    cli.cleanup();
  }
});

test('errors: no CLI, failed verify, a missing folder, a missing secret', async () => {
  const none = fakeCli(['passbolt'], [{ ...VERSION, exitCode: 127 }]);
  try {
    await rejectsWithUserError(() => run(none, ['A']), 'Passbolt CLI is not installed');
  } finally {
    none.cleanup();
  }
  const locked = fakeCli(['passbolt'], [VERSION, { ...VERIFY, exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(locked, ['A']), 'Failed to login to Passbolt');
  } finally {
    locked.cleanup();
  }
  const noFolder = fakeCli(['passbolt'], [VERSION, VERIFY, { argv: ['passbolt', 'list', 'folders', '--filter', 'Name == "gone"', '--json'], stdout: '[]' }]);
  try {
    await rejectsWithUserError(() => run(noFolder, ['gone/A']), 'Could not find the following folders in Passbolt: gone');
  } finally {
    noFolder.cleanup();
  }
  const partial = fakeCli(['passbolt'], [
    VERSION,
    VERIFY,
    { argv: ['passbolt', 'list', 'resources', '--filter', 'Name == "A" || Name == "B"', ...COLUMNS], stdout: resources([['A', 'a']]) },
  ]);
  try {
    await rejectsWithUserError(() => run(partial, ['A', 'B']), 'Could not find the following secrets in Passbolt: B');
  } finally {
    partial.cleanup();
  }
});

test.run();
