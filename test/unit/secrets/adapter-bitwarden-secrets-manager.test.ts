import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets, shellEscapeJson } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['bws', '--version'], stdout: 'bws 1.0.0\n' };
const LOGIN: FakeResponse = { argv: ['bws', 'run', 'echo OK'], stdout: 'OK\n' };
const LISTED = 'KAMAL_REGISTRY_PASSWORD="some_password"\nMY_OTHER_SECRET="my=weird"secret"\n';
const ID1 = '82aeb5bd-6958-4a89-8197-eacab758acce';
const ID2 = '6f8cdf27-de2b-4c77-a35d-07df8050e332';

function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: 'bitwarden-sm', from, names, env: cli.env });
}

test('fetch all: bws secret list -o env; values lose their surrounding quotes only', async () => {
  const list: FakeResponse = { argv: ['bws', 'secret', 'list', '-o', 'env'], stdout: LISTED };
  const cli = fakeCli(['bws'], [VERSION, LOGIN, list]);
  try {
    const results = await run(cli, ['all']);
    assert.equal(results, { KAMAL_REGISTRY_PASSWORD: 'some_password', MY_OTHER_SECRET: 'my=weird"secret' });
    assert.equal(cli.argvs(), [VERSION.argv, LOGIN.argv, list.argv]);
    assert.is(shellEscapeJson(results), '\\{\\"KAMAL_REGISTRY_PASSWORD\\":\\"some_password\\",\\"MY_OTHER_SECRET\\":\\"my\\=weird\\\\\\"secret\\"\\}');
  } finally {
    cli.cleanup();
  }
});

test('fetch all with --from: the project id is appended to the list command', async () => {
  const list: FakeResponse = { argv: ['bws', 'secret', 'list', '-o', 'env', ID1], stdout: LISTED };
  const cli = fakeCli(['bws'], [VERSION, LOGIN, list]);
  try {
    assert.equal(await run(cli, ['all'], ID1), { KAMAL_REGISTRY_PASSWORD: 'some_password', MY_OTHER_SECRET: 'my=weird"secret' });
    assert.equal(cli.argvs().at(-1), list.argv);
  } finally {
    cli.cleanup();
  }
});

test('fetch items: one bws secret get -o env per id', async () => {
  const get1: FakeResponse = { argv: ['bws', 'secret', 'get', '-o', 'env', ID1], stdout: 'KAMAL_REGISTRY_PASSWORD="some_password"' };
  const get2: FakeResponse = { argv: ['bws', 'secret', 'get', '-o', 'env', ID2], stdout: 'MY_OTHER_SECRET="my=weird"secret"' };
  const cli = fakeCli(['bws'], [VERSION, LOGIN, get1, get2]);
  try {
    assert.equal(await run(cli, [ID1, ID2]), { KAMAL_REGISTRY_PASSWORD: 'some_password', MY_OTHER_SECRET: 'my=weird"secret' });
    assert.equal(cli.argvs(), [VERSION.argv, LOGIN.argv, get1.argv, get2.argv]);
  } finally {
    cli.cleanup();
  }
});

test('like Kamal, a newline after the closing quote of a single get stays in the value', async () => {
  const get: FakeResponse = { argv: ['bws', 'secret', 'get', '-o', 'env', ID1], stdout: 'TOKEN="abc"\n' };
  const cli = fakeCli(['bws'], [VERSION, LOGIN, get]);
  try {
    assert.equal(await run(cli, [ID1]), { TOKEN: 'abc\n' });
  } finally {
    cli.cleanup();
  }
});

test("failures give Kamal's messages", async () => {
  let cli = fakeCli(['bws'], [VERSION, LOGIN]);
  try {
    await rejectsWithUserError(() => run(cli, []), 'You must specify what to retrieve from Bitwarden Secrets Manager');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bws'], [VERSION, LOGIN, { argv: ['bws', 'secret', 'list', '-o', 'env'], exitCode: 1, stdout: 'Error:\n0: Received error message from server' }]);
  try {
    await rejectsWithUserError(() => run(cli, ['all']), 'Could not read secrets from Bitwarden Secrets Manager');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bws'], [VERSION, LOGIN, { argv: ['bws', 'secret', 'get', '-o', 'env', ID1], exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, [ID1]), `Could not read ${ID1} from Bitwarden Secrets Manager`);
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['bws'], [VERSION, { ...LOGIN, exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['all']), 'Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?');
    assert.equal(cli.argvs(), [VERSION.argv, LOGIN.argv]);
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, []), 'Bitwarden Secrets Manager CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test('bitwarden_secrets_manager is the same adapter and needs no --account', async () => {
  const get: FakeResponse = { argv: ['bws', 'secret', 'get', '-o', 'env', ID1], stdout: 'A="b"' };
  const cli = fakeCli(['bws'], [VERSION, LOGIN, get]);
  try {
    assert.equal(await fetchSecrets({ adapter: 'bitwarden_secrets_manager', names: [ID1], env: cli.env }), { A: 'b' });
  } finally {
    cli.cleanup();
  }
});

test.run();
