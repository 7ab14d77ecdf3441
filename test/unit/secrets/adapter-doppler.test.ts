import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchSecrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

const VERSION: FakeResponse = { argv: ['doppler', '--version'], stdout: 'v3.69.0\n' };
const ME: FakeResponse = { argv: ['doppler', 'me', '--json'], stdout: '{"name":"me"}\n' };
const computed = (values: Record<string, string>) =>
  JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { computed: v, computedVisibility: 'unmasked', note: '' }])));
const THREE = { SECRET1: 'secret1', FSECRET1: 'fsecret1', FSECRET2: 'fsecret2' };

function run(cli: ReturnType<typeof fakeCli>, names: string[], from?: string) {
  return fetchSecrets({ adapter: 'doppler', from, names, env: cli.env });
}

test('--from project/config becomes -p/-c after --json; values are "computed"', async () => {
  const get: FakeResponse = { argv: ['doppler', 'secrets', 'get', 'SECRET1', 'FSECRET1', 'FSECRET2', '--json', '-p', 'my-project', '-c', 'prd'], stdout: computed(THREE) };
  const cli = fakeCli(['doppler'], [VERSION, ME, get]);
  try {
    assert.equal(await run(cli, ['SECRET1', 'FSECRET1', 'FSECRET2'], 'my-project/prd'), THREE);
    assert.equal(cli.argvs(), [VERSION.argv, ME.argv, get.argv]);
  } finally {
    cli.cleanup();
  }
});

test('project/config may also lead each secret name', async () => {
  const get: FakeResponse = { argv: ['doppler', 'secrets', 'get', 'SECRET1', 'FSECRET1', 'FSECRET2', '--json', '-p', 'my-project', '-c', 'prd'], stdout: computed(THREE) };
  const cli = fakeCli(['doppler'], [VERSION, ME, get]);
  try {
    assert.equal(await run(cli, ['my-project/prd/SECRET1', 'my-project/prd/FSECRET1', 'my-project/prd/FSECRET2']), THREE);
    assert.equal(cli.argvs().at(-1), get.argv);
  } finally {
    cli.cleanup();
  }
});

test('a dp.st service token in DOPPLER_TOKEN: no -p/-c flags (and the token reaches the CLI)', async () => {
  const get: FakeResponse = { argv: ['doppler', 'secrets', 'get', 'SECRET1', 'FSECRET1', 'FSECRET2', '--json'], stdout: computed(THREE) };
  const cli = fakeCli(['doppler'], [VERSION, ME, get], { recordEnv: ['DOPPLER_TOKEN'], env: { DOPPLER_TOKEN: 'dp.st.xxxxxxxxxxxx' } });
  try {
    assert.equal(await run(cli, ['SECRET1', 'FSECRET1', 'FSECRET2']), THREE);
    assert.equal(cli.argvs(), [VERSION.argv, ME.argv, get.argv]);
    assert.is(cli.calls().at(-1)!.env['DOPPLER_TOKEN'], 'dp.st.xxxxxxxxxxxx');
  } finally {
    cli.cleanup();
  }
});

test('a non-service token still needs project and config', async () => {
  const cli = fakeCli(['doppler'], [VERSION, ME], { env: { DOPPLER_TOKEN: 'dp.pt.personal' } });
  try {
    await rejectsWithUserError(() => run(cli, ['FSECRET1', 'FSECRET2']), "Missing project or config from '--from=project/config' option");
    assert.equal(cli.argvs(), [VERSION.argv, ME.argv]);
  } finally {
    cli.cleanup();
  }
});

test('not logged in: doppler login -y, then the fetch', async () => {
  const login: FakeResponse = { argv: ['doppler', 'login', '-y'], stdout: '' };
  const get: FakeResponse = { argv: ['doppler', 'secrets', 'get', 'SECRET1', '--json', '-p', 'my-project', '-c', 'prd'], stdout: computed({ SECRET1: 'secret1' }) };
  const cli = fakeCli(['doppler'], [VERSION, { ...ME, exitCode: 1 }, login, get]);
  try {
    assert.equal(await run(cli, ['SECRET1'], 'my-project/prd'), { SECRET1: 'secret1' });
    assert.equal(cli.argvs(), [VERSION.argv, ME.argv, login.argv, get.argv]);
  } finally {
    cli.cleanup();
  }
});

test("failed login, failed get, missing CLI: Kamal's messages", async () => {
  let cli = fakeCli(['doppler'], [VERSION, { ...ME, exitCode: 1 }, { argv: ['doppler', 'login', '-y'], exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['S'], 'p/c'), 'Failed to login to Doppler');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli(['doppler'], [VERSION, ME, { argv: ['doppler', 'secrets', 'get', 'S', '--json', '-p', 'p', '-c', 'c'], exitCode: 1 }]);
  try {
    await rejectsWithUserError(() => run(cli, ['S'], 'p/c'), 'Could not read ["p/c/S"] from Doppler');
  } finally {
    cli.cleanup();
  }
  cli = fakeCli([], []);
  try {
    await rejectsWithUserError(() => run(cli, ['HOST', 'PORT']), 'Doppler CLI is not installed');
  } finally {
    cli.cleanup();
  }
});

test.run();
