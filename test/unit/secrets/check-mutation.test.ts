// src/secrets/check.ts: which secrets a config names that no secrets file defines, the error that
// refuses them (naming the config file and key path that asks) and the warnings and [MISSING]
// values of the commands that only show things. Written for the gaps mutation testing found.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, ConfigError, type Config } from '../../../src/config/index.ts';
import {
  allowUndefinedSecrets,
  checkSecretReferences,
  createSecrets,
  MISSING_SECRET,
  secretsSource,
  undefinedSecrets,
} from '../../../src/secrets/index.ts';
import { tempProject } from '../config/temp-project.ts';

const BASE = `service: app
image: acme/app
servers:
  web:
    hosts: [1.1.1.1]
    env:
      secret: [WEB_KEY]
  job:
    hosts: [1.1.1.2]
    env:
      secret: [JOB_KEY, SHARED]
registry:
  username: acme
  password: [REGISTRY_PASSWORD]
builder:
  arch: amd64
  secrets: [BUILD_TOKEN]
env:
  secret: [SHARED, "DB_PASSWORD:DATABASE_PASSWORD"]
`;

const STAGING = `env:
  secret: [STAGING_ONLY]
`;

function withConfig(body: (config: Config) => void, destination?: string): void {
  const project = tempProject({ 'config/deploy.yml': BASE, 'config/deploy.staging.yml': STAGING });
  try {
    body(loadConfig({ cwd: project.dir, env: {}, ...(destination ? { destination } : {}) }));
  } finally {
    project.cleanup();
  }
}

const defined = (names: string[], files = ['.kamal/secrets']) => createSecrets(new Map(names.map((n) => [n, `value-of-${n}`])), files);

test('secretsSource names the files read, or says none was and which would have been', () => {
  assert.is(secretsSource(defined([], ['.kamal/secrets-common', '.kamal/secrets'])), '.kamal/secrets-common, .kamal/secrets');
  assert.is(secretsSource(defined([], [])), 'no secrets file (.kamal/secrets-common, .kamal/secrets[.dest])');
});

test('undefinedSecrets: each missing secret once, with every key path that asks for it, in config order', () => {
  withConfig((config) => {
    const missing = undefinedSecrets(config, defined(['WEB_KEY', 'BUILD_TOKEN']));
    assert.equal(missing, [
      { secret: 'REGISTRY_PASSWORD', keyPaths: ['registry/password'] },
      // the env secret SHARED and the job role's SHARED are one entry
      { secret: 'SHARED', keyPaths: ['env/secret/0', 'servers/job/env/secret/1'] },
      // an aliased env secret (NAME:SECRET) is looked up by the secret's name
      { secret: 'DATABASE_PASSWORD', keyPaths: ['env/secret/1'] },
      { secret: 'JOB_KEY', keyPaths: ['servers/job/env/secret/0'] },
    ]);
  });
});

test('undefinedSecrets is empty when every named secret is defined', () => {
  withConfig((config) => {
    assert.equal(undefinedSecrets(config, defined(['WEB_KEY', 'JOB_KEY', 'SHARED', 'DATABASE_PASSWORD', 'REGISTRY_PASSWORD', 'BUILD_TOKEN'])), []);
  });
});

test('checkSecretReferences passes when all are defined and refuses every missing one in one ConfigError', () => {
  withConfig((config) => {
    const all = ['WEB_KEY', 'JOB_KEY', 'SHARED', 'DATABASE_PASSWORD', 'REGISTRY_PASSWORD', 'BUILD_TOKEN'];
    assert.is(checkSecretReferences(config, defined(all)), undefined);
    let caught: unknown;
    try {
      checkSecretReferences(config, defined(all.filter((n) => n !== 'SHARED' && n !== 'BUILD_TOKEN')));
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, 'a ConfigError');
    const error = caught as ConfigError;
    assert.equal(error.issues, [
      { file: 'config/deploy.yml', path: 'env/secret/0', message: "secret 'SHARED' is not defined in .kamal/secrets" },
      { file: 'config/deploy.yml', path: 'servers/job/env/secret/1', message: "secret 'SHARED' is not defined in .kamal/secrets" },
      { file: 'config/deploy.yml', path: 'builder/secrets/0', message: "secret 'BUILD_TOKEN' is not defined in .kamal/secrets" },
    ]);
    assert.match(error.message, /^config\/deploy\.yml: 3 errors\n  env\/secret\/0: secret 'SHARED' is not defined in \.kamal\/secrets\n/);
  });
});

test('checkSecretReferences names the destination file when the secret is asked for there', () => {
  withConfig((config) => {
    const all = ['WEB_KEY', 'JOB_KEY', 'SHARED', 'DATABASE_PASSWORD', 'REGISTRY_PASSWORD', 'BUILD_TOKEN'];
    let caught: unknown;
    try {
      checkSecretReferences(config, defined(all, []));
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, 'a ConfigError');
    // the staging file's env/secret replaces the base file's list
    assert.equal((caught as ConfigError).issues, [
      {
        file: 'config/deploy.staging.yml',
        path: 'env/secret/0',
        message: "secret 'STAGING_ONLY' is not defined in no secrets file (.kamal/secrets-common, .kamal/secrets[.dest])",
      },
    ]);
  }, 'staging');
});

test('allowUndefinedSecrets: nothing missing gives the same secrets and no warning', () => {
  withConfig((config) => {
    const secrets = defined(['WEB_KEY', 'JOB_KEY', 'SHARED', 'DATABASE_PASSWORD', 'REGISTRY_PASSWORD', 'BUILD_TOKEN']);
    const warnings: string[] = [];
    assert.is(allowUndefinedSecrets(config, secrets, (line) => warnings.push(line)), secrets);
    assert.equal(warnings, []);
  });
});

test('allowUndefinedSecrets warns once per missing secret and reads it as [MISSING]; defined ones keep their value', () => {
  withConfig((config) => {
    const secrets = defined(['WEB_KEY', 'JOB_KEY', 'DATABASE_PASSWORD', 'BUILD_TOKEN']);
    const warnings: string[] = [];
    const allowed = allowUndefinedSecrets(config, secrets, (line) => warnings.push(line));
    assert.equal(warnings, [
      "WARNING: registry/password: secret 'REGISTRY_PASSWORD' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
      "WARNING: env/secret/0, servers/job/env/secret/1: secret 'SHARED' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
    ]);
    assert.is(MISSING_SECRET, '[MISSING]');
    assert.is(allowed.get('SHARED'), MISSING_SECRET);
    assert.is(allowed.get('REGISTRY_PASSWORD'), MISSING_SECRET);
    assert.is(allowed.get('WEB_KEY'), 'value-of-WEB_KEY');
    // still no value for a secret the config never names
    assert.throws(() => allowed.get('UNNAMED'), /Secret 'UNNAMED' not found in \.kamal\/secrets/);
    assert.equal(allowed.files, ['.kamal/secrets']);
    assert.equal(allowed.names(), secrets.names());
  });
});

test.run();
