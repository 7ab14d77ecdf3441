import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['aws', '--version'], stdout: 'aws-cli/2.17.0\n' };
const batch = (ids: string[], profile: string | undefined, body: unknown): FakeResponse => ({
  argv: ['aws', 'secretsmanager', 'batch-get-secret-value', '--secret-id-list', ...ids, ...(profile === undefined ? [] : ['--profile', profile]), '--output', 'json'],
  stdout: JSON.stringify(body, null, 2) + '\n',
});
const secretValue = (name: string, secretString: string) => ({
  ARN: `arn:aws:secretsmanager:us-east-1:aaaaaaaaaaaa:secret:${name}`, Name: name, VersionId: 'v', SecretString: secretString,
  VersionStages: ['AWSCURRENT'], CreatedDate: '2024-01-01T00:00:00.000000',
});

function run(cli: ReturnType<typeof fakeCli>, names: string[], options: { from?: string; account?: string } = {}) {
  return fetchSecrets({ adapter: 'aws_secrets_manager', names, env: cli.env, ...options });
}

test('fetch: one batch-get-secret-value with --profile and --output json; JSON secrets split into name/key', async () => {
  const call = batch(['secret/KEY1', 'secret/KEY2', 'secret2/KEY3'], 'default', {
    SecretValues: [secretValue('secret', '{"KEY1":"VALUE1", "KEY2":"VALUE2"}'), secretValue('secret2', '{"KEY3":"VALUE3"}')],
    Errors: [],
  });
  const cli = fakeCli(['aws'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['secret/KEY1', 'secret/KEY2', 'secret2/KEY3'], { account: 'default' }), {
      'secret/KEY1': 'VALUE1',
      'secret/KEY2': 'VALUE2',
      'secret2/KEY3': 'VALUE3',
    });
    assert.equal(cli.argvs(), [VERSION.argv, call.argv]);
    assert.equal(call.argv.slice(-2), ['--output', 'json']);
  } finally {
    cli.cleanup();
  }
});

test('a plain string secret is kept whole under its name', async () => {
  const call = batch(['secret', 'secret2/KEY1'], 'default', {
    SecretValues: [secretValue('secret', 'a-string-secret'), secretValue('secret2', '{"KEY2":"VALUE2"}')],
    Errors: [],
  });
  const cli = fakeCli(['aws'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['secret', 'secret2/KEY1'], { account: 'default' }), { secret: 'a-string-secret', 'secret2/KEY2': 'VALUE2' });
  } finally {
    cli.cleanup();
  }
});

test('--from prefixes the ids; without --account there is no --profile', async () => {
  const call = batch(['secret/KEY1', 'secret/KEY2'], undefined, { SecretValues: [secretValue('secret', '{"KEY1":"VALUE1","KEY2":"VALUE2"}')], Errors: [] });
  const cli = fakeCli(['aws'], [VERSION, call]);
  try {
    assert.equal(await run(cli, ['KEY1', 'KEY2'], { from: 'secret' }), { 'secret/KEY1': 'VALUE1', 'secret/KEY2': 'VALUE2' });
    assert.equal(cli.argvs(), [VERSION.argv, ['aws', 'secretsmanager', 'batch-get-secret-value', '--secret-id-list', 'secret/KEY1', 'secret/KEY2', '--output', 'json']]);
  } finally {
    cli.cleanup();
  }
});

test('Errors in the response fail with every "id: message", joined by spaces', async () => {
  const missing = { ErrorCode: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." };
  const call = batch(['unknown1', 'unknown2'], 'default', {
    SecretValues: [],
    Errors: [{ SecretId: 'unknown1', ...missing }, { SecretId: 'unknown2', ...missing }],
  });
  const cli = fakeCli(['aws'], [VERSION, call]);
  try {
    await rejectsWithUserError(
      () => run(cli, ['unknown1', 'unknown2'], { account: 'default' }),
      "unknown1: Secrets Manager can't find the specified secret. unknown2: Secrets Manager can't find the specified secret.",
    );
  } finally {
    cli.cleanup();
  }
});

test('a failing aws call and a missing CLI', async () => {
  let cli = fakeCli(['aws'], [VERSION, { ...batch(['a'], undefined, {}), exitCode: 255, stdout: '', stderr: 'Unable to locate credentials' }]);
  try {
    await rejectsWithUserError(() => run(cli, ['a']), 'Could not read ["a"] from AWS Secrets Manager');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['SECRET1']), 'AWS CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test.run();
