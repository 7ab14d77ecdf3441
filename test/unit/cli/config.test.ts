import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';
import { leakedSecrets } from '../secrets/canary.ts';

const CANARIES = {
  KAMAL_REGISTRY_PASSWORD: 'CANARY-registry-pw-71c3',
  REGISTRY_USER: 'CANARY-registry-user-9e2a',
  MAIN_DB_PASSWORD: 'CANARY-db "quoted" $value-55d1',
  WORKER_TOKEN: 'CANARY-worker-token-0b7f',
  REDIS_PASSWORD: 'CANARY-redis-3a1c',
};

const files = {
  'config/deploy.yml': `service: app
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
  server: registry.example.com
  username:
    - REGISTRY_USER
  password:
    - KAMAL_REGISTRY_PASSWORD
env:
  clear:
    RAILS_ENV: production
  secret:
    - DB_PASSWORD:MAIN_DB_PASSWORD
accessories:
  redis:
    image: redis:7
    host: 1.1.1.3
    env:
      secret:
        - REDIS_PASSWORD
builder:
  arch: amd64
`,
  '.kamal/secrets': Object.entries(CANARIES).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n',
};

test('sextant config shows the resolved config and no secret value', async () => {
  const project = tempProject(files);
  try {
    const io = captureIO(project.dir, { VERSION: 'v42' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    for (const [name, value] of Object.entries(CANARIES)) {
      assert.not.ok(io.stdout.includes(value), `${name} leaked into the output`);
      assert.not.ok(io.stderr.includes(value), `${name} leaked into stderr`);
    }
    assert.equal(leakedSecrets(io.stdout + io.stderr, Object.values(CANARIES)), [], 'no secret, base64 included');
    const shown = parse(io.stdout);
    assert.equal(shown.roles, ['web', 'workers']);
    assert.equal(shown.hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
    assert.is(shown.primary_host, '1.1.1.1');
    assert.is(shown.absolute_image, 'registry.example.com/dhh/app:v42');
    assert.is(shown.registry.password, '[REDACTED]');
    assert.equal(shown.servers.web.env['1.1.1.1'], { clear: { RAILS_ENV: 'production' }, secret: { DB_PASSWORD: '[REDACTED]' } });
  } finally {
    project.cleanup();
  }
});

test('sextant config --reveal shows the secret values', async () => {
  const project = tempProject(files);
  try {
    const io = captureIO(project.dir, { VERSION: 'v42' });
    assert.is(await runCli(['config', '--reveal'], io), 0, io.stderr);
    for (const value of Object.values(CANARIES)) assert.ok(io.stdout.includes(value), `${value} shown`);
    const shown = parse(io.stdout);
    assert.is(shown.servers.workers.env['1.1.1.2'].secret.WORKER_TOKEN, CANARIES.WORKER_TOKEN);
  } finally {
    project.cleanup();
  }
});

test('sextant config also hides literal registry passwords, accessory registry and tag-scoped secrets', async () => {
  const canaries = {
    literal: 'CANARY-literal-pw-2f8e',
    ACCESSORY_REGISTRY_PASSWORD: 'CANARY-acc-registry-6d04',
    REPLICA_DB_PASSWORD: 'CANARY-replica-41aa',
    NPM_TOKEN: 'CANARY-build-secret-93c0',
  };
  const project = tempProject({
    'config/deploy.yml': `service: app
image: dhh/app
servers:
  web:
    - 1.1.1.1: replica
registry:
  username: dhh
  password: ${canaries.literal}
env:
  tags:
    replica:
      secret:
        - DB_PASSWORD:REPLICA_DB_PASSWORD
accessories:
  cache:
    image: private/cache:1
    host: 1.1.1.1
    registry:
      server: other.example.com
      username: bot
      password:
        - ACCESSORY_REGISTRY_PASSWORD
builder:
  arch: amd64
  secrets:
    - NPM_TOKEN
`,
    '.kamal/secrets': Object.entries(canaries)
      .filter(([name]) => name !== 'literal')
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  });
  try {
    const io = captureIO(project.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    for (const [name, value] of Object.entries(canaries)) assert.not.ok(io.stdout.includes(value), `${name} leaked into the output`);
    assert.equal(leakedSecrets(io.stdout + io.stderr, Object.values(canaries)), [], 'no secret, base64 included');
    const shown = parse(io.stdout);
    assert.equal(shown.registry, { username: 'dhh', password: '[REDACTED]' });
    assert.is(shown.accessories.cache.registry.password, '[REDACTED]');
    assert.is(shown.servers.web.env['1.1.1.1'].secret.DB_PASSWORD, '[REDACTED]');

    const revealed = captureIO(project.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config', '--reveal'], revealed), 0, revealed.stderr);
    const all = parse(revealed.stdout);
    assert.is(all.registry.password, canaries.literal);
    assert.is(all.accessories.cache.registry.password, canaries.ACCESSORY_REGISTRY_PASSWORD);
    assert.is(all.servers.web.env['1.1.1.1'].secret.DB_PASSWORD, canaries.REPLICA_DB_PASSWORD);
  } finally {
    project.cleanup();
  }
});

test('-d merges the destination file; --version and $VERSION pick the version', async () => {
  const project = tempProject({
    ...files,
    'config/deploy.staging.yml': 'servers:\n  web:\n    - 2.2.2.2\n  workers:\n    - 2.2.2.3\n',
    '.kamal/secrets.staging': files['.kamal/secrets'],
  });
  try {
    const io = captureIO(project.dir, { VERSION: 'from-env' });
    assert.is(await runCli(['config', '-d', 'staging', '--version', 'from-flag'], io), 0, io.stderr);
    const shown = parse(io.stdout);
    assert.equal(shown.hosts, ['2.2.2.2', '2.2.2.3', '1.1.1.3']);
    assert.is(shown.version, 'from-flag');
    assert.is(shown.destination, 'staging');
  } finally {
    project.cleanup();
  }
});

test('outside a git repository without a version, the config is still shown and the warning says why', async () => {
  const project = tempProject(files);
  try {
    const io = captureIO(project.dir, {});
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.is(parse(io.stdout).version, '[MISSING]');
    assert.match(io.stderr, "WARNING: version shown as [MISSING]: Can't use commit hash as version, no git repository found in");
  } finally {
    project.cleanup();
  }
});

test.run();
