import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MissingAccountError, extractSecret, fetchSecrets, lookupAdapter, printSecrets, shellEscapeJson } from '../../../src/secrets/index.ts';
import { createSecrets } from '../../../src/secrets/load.ts';
import { awsSecretsManager } from '../../../src/secrets/adapters/aws-secrets-manager.ts';
import type { SecretsAdapter } from '../../../src/secrets/adapters/base.ts';
import { bitwardenSecretsManager } from '../../../src/secrets/adapters/bitwarden-secrets-manager.ts';
import { bitwarden } from '../../../src/secrets/adapters/bitwarden.ts';
import { doppler } from '../../../src/secrets/adapters/doppler.ts';
import { enpass } from '../../../src/secrets/adapters/enpass.ts';
import { gcpSecretManager } from '../../../src/secrets/adapters/gcp-secret-manager.ts';
import { lastPass } from '../../../src/secrets/adapters/last-pass.ts';
import { onePassword } from '../../../src/secrets/adapters/one-password.ts';
import { testAdapter } from '../../../src/secrets/adapters/test.ts';
import { rejectsWithUserError } from './assert-error.ts';

test('fetch with the test adapter: names reversed; shell-escaped JSON as Kamal prints it', async () => {
  const results = await fetchSecrets({ adapter: 'test', account: 'myaccount', names: ['foo', 'bar', 'baz'] });
  assert.equal(results, { foo: 'oof', bar: 'rab', baz: 'zab' });
  assert.is(shellEscapeJson(results), '\\{\\"foo\\":\\"oof\\",\\"bar\\":\\"rab\\",\\"baz\\":\\"zab\\"\\}');
});

test('--from prefixes names with from/', async () => {
  assert.equal(await fetchSecrets({ adapter: 'test', account: 'a', from: 'vault', names: ['x'] }), { 'vault/x': 'x/tluav' });
});

test("missing --account: Kamal's message, as a MissingAccountError", async () => {
  const error = await rejectsWithUserError(() => fetchSecrets({ adapter: 'test', names: ['foo'] }), "No value provided for required options '--account'");
  assert.instance(error, MissingAccountError);
  await rejectsWithUserError(() => fetchSecrets({ adapter: 'test', account: '  ', names: ['foo'] }), "No value provided for required options '--account'");
});

test('adapter names: aliases, camelized class names, unknown ones', async () => {
  // The expected adapter of each name comes from the adapter modules, not from lookupAdapter.
  const expected: Array<[string, SecretsAdapter<any>]> = [
    ['1password', onePassword],
    ['1Password', onePassword],
    ['one_password', onePassword],
    ['OnePassword', onePassword],
    ['lastpass', lastPass],
    ['LastPass', lastPass],
    ['last_pass', lastPass],
    ['gcp', gcpSecretManager],
    ['gcp_secret_manager', gcpSecretManager],
    ['bitwarden', bitwarden],
    ['bitwarden-sm', bitwardenSecretsManager],
    ['bitwarden_secrets_manager', bitwardenSecretsManager],
    ['aws_secrets_manager', awsSecretsManager],
    ['doppler', doppler],
    ['enpass', enpass],
    ['test', testAdapter],
  ];
  for (const [name, adapter] of expected) assert.ok(lookupAdapter(name) === adapter, `${name} resolves to its adapter`);
  await rejectsWithUserError(async () => lookupAdapter('vault'), 'Unknown secrets adapter: vault');
  await rejectsWithUserError(async () => lookupAdapter('base'), 'Unknown secrets adapter: base');
  await rejectsWithUserError(async () => lookupAdapter('onepassword'), 'Unknown secrets adapter: onepassword');
});

test('extract: exact key first, else the first key ending in /NAME', () => {
  assert.is(extractSecret('foo', '{"foo":"oof", "bar":"rab", "baz":"zab"}'), 'oof');
  assert.is(extractSecret('foo', '{"abc/foo":"oof", "bar":"rab", "xyz/foo":"other"}'), 'oof');
  assert.is(extractSecret('foo', '{"a/foo":"suffix", "foo":"exact"}'), 'exact');
  assert.is(extractSecret('foo', '{"foo":null, "a/foo":"suffix"}'), 'suffix');
  assert.is(extractSecret('foo', '{"foo":""}'), '');
});

test('extract failures name the secret but never echo the JSON', async () => {
  await rejectsWithUserError(async () => extractSecret('foo', '{"bar":"s3cr3t"}'), 'Could not find secret foo');
  const notJson = await rejectsWithUserError(async () => extractSecret('foo', 's3cr3t'), /not valid JSON/);
  assert.not.match(notJson.message, 's3cr3t');
  await rejectsWithUserError(async () => extractSecret('foo', '["s3cr3t"]'), /not a JSON object/);
});

test('fetch output round-trips through a shell word split into extract', async () => {
  const { shellSplit } = await import('../../../src/secrets/shellwords.ts');
  const json = shellEscapeJson({ 'Vault/Item/DB_PASSWORD': 'p a$s"w\'o\nrd', OTHER: 'x' });
  const [word] = shellSplit(json);
  assert.is(extractSecret('DB_PASSWORD', word!), 'p a$s"w\'o\nrd');
});

test('print: KEY=value lines like Ruby puts (no doubled newline)', () => {
  assert.is(printSecrets({ SECRET1: 'ABC', SECRET2: 'ABCDEF' }), 'SECRET1=ABC\nSECRET2=ABCDEF\n');
  assert.is(printSecrets(createSecrets(new Map([['A', 'line\n'], ['2', 'x']]), ['.kamal/secrets'])), 'A=line\n2=x\n');
  assert.is(printSecrets({}), '');
});

test.run();
