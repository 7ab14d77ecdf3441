import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['gcloud', '--version'], stdout: 'Google Cloud SDK 490.0.0\n' };
const AUTH_LIST = ['gcloud', 'auth', 'list', '--format=json'];
const AUTHENTICATED: FakeResponse = { argv: AUTH_LIST, stdout: JSON.stringify([{ account: 'email@example.com', status: 'ACTIVE' }]) };
const UNAUTHENTICATED: FakeResponse = { argv: AUTH_LIST, stdout: '[]\n' };

function access(secret: string, data: string, flags: string[] = [], version = 'latest'): FakeResponse {
  return {
    argv: ['gcloud', 'secrets', 'versions', 'access', version, `--secret=${secret}`, ...flags, '--format=json'],
    stdout: JSON.stringify({ name: `projects/000000000/secrets/${secret}/versions/1`, payload: { data, dataCrc32c: '1' } }, null, 2) + '\n',
  };
}

function run(cli: ReturnType<typeof fakeCli>, names: string[], options: { from?: string; account?: string } = {}) {
  return fetchSecrets({ adapter: 'gcp', account: 'default', names, env: cli.env, ...options });
}

test('fetch: default project and latest version; the payload is base64-decoded; key project/name', async () => {
  const call = access('mypassword', 'c2VjcmV0MTIz');
  const cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, call]);
  try {
    assert.equal(await run(cli, ['mypassword']), { 'default/mypassword': 'secret123' });
    assert.equal(cli.argvs(), [VERSION.argv, AUTH_LIST, call.argv]);
  } finally {
    cli.cleanup();
  }
});

test('payload decoding keeps UTF-8 and newlines', async () => {
  const value = 'pässwörd ✓\nline 2\n';
  const call = access('multi', Buffer.from(value).toString('base64'));
  const cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, call]);
  try {
    assert.equal(await run(cli, ['multi']), { 'default/multi': value });
  } finally {
    cli.cleanup();
  }
});

test('--from sets the project for every secret', async () => {
  const calls = [access('item1', 'c2VjcmV0MQ==', ['--project=other-project']), access('item2', 'c2VjcmV0Mg==', ['--project=other-project']), access('item3', 'c2VjcmV0Mw==', ['--project=other-project'])];
  const cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, ...calls]);
  try {
    assert.equal(await run(cli, ['item1', 'item2', 'item3'], { from: 'other-project' }), {
      'other-project/item1': 'secret1',
      'other-project/item2': 'secret2',
      'other-project/item3': 'secret3',
    });
    assert.equal(cli.argvs().slice(2), calls.map((c) => c.argv));
  } finally {
    cli.cleanup();
  }
});

test('projects and versions from the names', async () => {
  const calls = [
    access('item1', 'c2VjcmV0MQ==', ['--project=some-project']),
    access('item2', 'c2VjcmV0Mg==', ['--project=project-confidence'], '123'),
  ];
  const cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, ...calls]);
  try {
    assert.equal(await run(cli, ['some-project/item1', 'project-confidence/item2/123']), {
      'some-project/item1': 'secret1',
      'project-confidence/item2': 'secret2',
    });
    assert.equal(cli.argvs().slice(2), calls.map((c) => c.argv));
  } finally {
    cli.cleanup();
  }
});

test('--account user|sa1,sa2: --account and --impersonate-service-account; "default" adds neither', async () => {
  const cases: Array<[string, string[]]> = [
    ['email@example.com', ['--account=email@example.com']],
    ['default|service-user@example.com', ['--impersonate-service-account=service-user@example.com']],
    ['user@example.com|service-user@example.com,service-user2@example.com', ['--account=user@example.com', '--impersonate-service-account=service-user@example.com,service-user2@example.com']],
  ];
  for (const [account, flags] of cases) {
    const call = access('item1', 'c2VjcmV0MQ==', ['--project=some-project', ...flags], '123');
    const cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, call]);
    try {
      assert.equal(await run(cli, ['some-project/item1/123'], { account }), { 'some-project/item1': 'secret1' });
      assert.equal(cli.argvs().at(-1), call.argv);
    } finally {
      cli.cleanup();
    }
  }
});

test('no credentialed account: gcloud auth login, then the list is checked again', async () => {
  const login: FakeResponse = { argv: ['gcloud', 'auth', 'login'], stdout: '' };
  let cli = fakeCli(['gcloud'], [VERSION, UNAUTHENTICATED, login, UNAUTHENTICATED]);
  try {
    await rejectsWithUserError(() => run(cli, ['mypassword']), 'could not login to gcloud');
    assert.equal(cli.argvs(), [VERSION.argv, AUTH_LIST, login.argv, AUTH_LIST]);
  } finally {
    cli.cleanup();
  }
  const call = access('mypassword', 'c2VjcmV0MTIz');
  cli = fakeCli(['gcloud'], [VERSION, UNAUTHENTICATED, login, AUTHENTICATED, call]);
  try {
    assert.equal(await run(cli, ['mypassword']), { 'default/mypassword': 'secret123' });
  } finally {
    cli.cleanup();
  }
});

test('a failing access call, a missing CLI, a missing --account', async () => {
  let cli = fakeCli(['gcloud'], [VERSION, AUTHENTICATED, { ...access('nope', ''), exitCode: 1, stdout: '' }]);
  try {
    await rejectsWithUserError(() => run(cli, ['nope']), 'Could not read default/nope from Google Secret Manager');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['item1']), 'gcloud CLI is not installed');
  } finally {
    cli.cleanup();
  }
  await rejectsWithUserError(
    () => fetchSecrets({ adapter: 'gcp_secret_manager', names: ['item1'] }),
    "No value provided for required options '--account'",
  );
});

test.run();
