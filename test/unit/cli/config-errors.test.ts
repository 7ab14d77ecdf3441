import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { malformedCases } from '../config/malformed-cases.ts';
import { tempProject } from '../config/temp-project.ts';

const SECRETS = '.kamal/secrets';
const matches = (text: string, expected: RegExp | string) => (typeof expected === 'string' ? text.includes(expected) : expected.test(text));

// Every malformed config, through the real CLI: exit 1, a message naming file and key path, and
// no stack trace. A secrets file defines the registry password so only the config is at fault.
for (const kase of malformedCases) {
  test(`sextant config rejects: ${kase.name}`, async () => {
    const project = tempProject({ [SECRETS]: 'KAMAL_REGISTRY_PASSWORD=pw\n', ...kase.files });
    try {
      const io = captureIO(project.dir, { VERSION: 'v1', ...(kase.env ?? {}) });
      const args = ['config', ...(kase.destination ? ['-d', kase.destination] : [])];
      const code = await runCli(args, io);
      assert.is(code, 1, `exit code for ${kase.name}; stderr:\n${io.stderr}`);
      assert.ok(io.stderr.includes(kase.expect.file), `names the file ${kase.expect.file}:\n${io.stderr}`);
      if (kase.expect.path) assert.ok(io.stderr.includes(`${kase.expect.path}: `), `names the key path ${kase.expect.path}:\n${io.stderr}`);
      assert.ok(matches(io.stderr, kase.expect.message), `says what was expected (${String(kase.expect.message)}):\n${io.stderr}`);
      assert.not.match(io.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
      assert.is(io.stdout, '', 'nothing printed on stdout');
    } finally {
      project.cleanup();
    }
  });
}

const VALID = `service: app
image: dhh/app
servers:
  web:
    - 1.1.1.1
  workers:
    hosts:
      - 1.1.1.2
    env:
      secret:
        - WORKER_TOKEN
registry:
  username: dhh
  password:
    - KAMAL_REGISTRY_PASSWORD
env:
  secret:
    - DB_PASSWORD:MAIN_DB_PASSWORD
builder:
  arch: amd64
`;

test('config --reveal, with a secret the config names but no secrets file defines: exit 1, naming the file and every key path', async () => {
  const project = tempProject({ 'config/deploy.yml': VALID, [SECRETS]: 'KAMAL_REGISTRY_PASSWORD=pw\n' });
  try {
    const io = captureIO(project.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config', '--reveal'], io), 1);
    assert.match(io.stderr, 'config/deploy.yml: 2 errors');
    assert.match(io.stderr, "env/secret/0: secret 'MAIN_DB_PASSWORD' is not defined in .kamal/secrets");
    assert.match(io.stderr, "servers/workers/env/secret/0: secret 'WORKER_TOKEN' is not defined in .kamal/secrets");
  } finally {
    project.cleanup();
  }
});

test('config --reveal: no secrets file at all is reported as such', async () => {
  const project = tempProject({ 'config/deploy.yml': VALID });
  try {
    const io = captureIO(project.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config', '--reveal'], io), 1);
    assert.match(io.stderr, "registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in no secrets file");
  } finally {
    project.cleanup();
  }
});

test.run();
