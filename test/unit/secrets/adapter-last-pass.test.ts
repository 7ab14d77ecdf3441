import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const ACCOUNT = 'email@example.com';
const VERSION: FakeResponse = { argv: ['lpass', '--version'], stdout: 'LastPass CLI v1.5.0\n' };
const STATUS_OK: FakeResponse = { argv: ['lpass', 'status', '--color', 'never'], stdout: `Logged in as ${ACCOUNT}.\n` };

const entry = (fullname: string, password: string) => ({
  id: '1', name: fullname.split('/').at(-1), fullname, username: '', password, group: '', url: '', note: '',
});

function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: 'lastpass', account: ACCOUNT, from, names, env: cli.env });
}

test('logged in: one lpass show … --json; keys are the fullnames', async () => {
  const show: FakeResponse = {
    argv: ['lpass', 'show', 'SECRET1', 'FOLDER1/FSECRET1', 'FOLDER1/FSECRET2', '--json'],
    stdout: JSON.stringify([entry('SECRET1', 'secret1'), entry('FOLDER1/FSECRET1', 'fsecret1'), entry('FOLDER1/FSECRET2', 'fsecret2')]),
  };
  const cli = fakeCli(['lpass'], [VERSION, STATUS_OK, show]);
  try {
    assert.equal(await run(cli, ['SECRET1', 'FOLDER1/FSECRET1', 'FOLDER1/FSECRET2']), {
      SECRET1: 'secret1',
      'FOLDER1/FSECRET1': 'fsecret1',
      'FOLDER1/FSECRET2': 'fsecret2',
    });
    assert.equal(cli.argvs(), [VERSION.argv, STATUS_OK.argv, show.argv]);
  } finally {
    cli.cleanup();
  }
});

test('--from prefixes the names', async () => {
  const show: FakeResponse = {
    argv: ['lpass', 'show', 'FOLDER1/FSECRET1', 'FOLDER1/FSECRET2', '--json'],
    stdout: JSON.stringify([entry('FOLDER1/FSECRET1', 'fsecret1'), entry('FOLDER1/FSECRET2', 'fsecret2')]),
  };
  const cli = fakeCli(['lpass'], [VERSION, STATUS_OK, show]);
  try {
    assert.equal(await run(cli, ['FSECRET1', 'FSECRET2'], 'FOLDER1'), { 'FOLDER1/FSECRET1': 'fsecret1', 'FOLDER1/FSECRET2': 'fsecret2' });
    assert.equal(cli.argvs().at(-1), show.argv);
  } finally {
    cli.cleanup();
  }
});

test('status for another account (or not logged in) leads to lpass login <account>', async () => {
  for (const statusOutput of ['Not logged in.\n', 'Logged in as someone@else.com.\n']) {
    const status: FakeResponse = { argv: STATUS_OK.argv, stdout: statusOutput, exitCode: statusOutput.startsWith('Not') ? 1 : 0 };
    const login: FakeResponse = { argv: ['lpass', 'login', ACCOUNT], stdout: '' };
    const show: FakeResponse = { argv: ['lpass', 'show', 'SECRET1', '--json'], stdout: JSON.stringify([entry('SECRET1', 'secret1')]) };
    const cli = fakeCli(['lpass'], [VERSION, status, login, show]);
    try {
      assert.equal(await run(cli, ['SECRET1']), { SECRET1: 'secret1' });
      assert.equal(cli.argvs(), [VERSION.argv, STATUS_OK.argv, login.argv, show.argv]);
    } finally {
      cli.cleanup();
    }
  }
});

test("failed login, failed show, a missing entry, missing CLI: Kamal's messages", async () => {
  let cli = fakeCli(['lpass'], [VERSION, { argv: STATUS_OK.argv, stdout: 'Not logged in.\n', exitCode: 1 }, { argv: ['lpass', 'login', ACCOUNT], exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['SECRET1']), 'Failed to login to LastPass');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['lpass'], [VERSION, STATUS_OK, { argv: ['lpass', 'show', 'A', 'B', '--json'], exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['A', 'B']), 'Could not read ["A", "B"] from LastPass');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['lpass'], [VERSION, STATUS_OK, { argv: ['lpass', 'show', 'A', 'B', 'C', '--json'], stdout: JSON.stringify([entry('B', 'b')]) }]);
  try {
    await rejectsWithUserError(() => run(cli, ['A', 'B', 'C']), 'Could not find A, C in LastPass');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['SECRET1']), 'LastPass CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test('last_pass is the same adapter', async () => {
  const cli = fakeCli(['lpass'], [VERSION, STATUS_OK, { argv: ['lpass', 'show', 'X', '--json'], stdout: JSON.stringify([entry('X', 'x')]) }]);
  try {
    assert.equal(await fetchSecrets({ adapter: 'last_pass', account: ACCOUNT, names: ['X'], env: cli.env }), { X: 'x' });
  } finally {
    cli.cleanup();
  }
});

test.run();
