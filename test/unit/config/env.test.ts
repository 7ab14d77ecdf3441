import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessoryEnv, envFor, listSecretReferences, resolveSecrets, secretAlias } from '../../../src/config/index.ts';
import { UserError } from '../../../src/errors.ts';
import { loadFixture } from './fixtures.ts';
import { tempProject } from './temp-project.ts';
import { loadConfig } from '../../../src/config/index.ts';

test('secret aliases split on the first colon', () => {
  assert.equal(secretAlias('DB_PASSWORD'), ['DB_PASSWORD', 'DB_PASSWORD']);
  assert.equal(secretAlias('DB_PASSWORD:MAIN_DB_PASSWORD'), ['DB_PASSWORD', 'MAIN_DB_PASSWORD']);
  assert.equal(secretAlias('A:B:C'), ['A', 'B:C']);
  assert.equal(resolveSecrets(['A', 'B:X', 'A:Y']), [['A', 'Y'], ['B', 'X']], 'a later alias wins in place');
});

test('env of a host without tags: root then role, clear values later-wins in place', () => {
  const config = loadFixture('env-tags');
  assert.equal(envFor(config, 'web', '1.1.1.2'), {
    clear: [['REDIS_URL', 'redis://x/y'], ['DEBUG', false]],
    secrets: [['DB_PASSWORD', 'MAIN_DB_PASSWORD'], ['API_KEY', 'API_KEY']],
  });
  assert.equal(envFor(config, 'workers', '1.1.1.4').clear, [
    ['REDIS_URL', 'redis://a/b'],
    ['DEBUG', false],
    ['WEB_CONCURRENCY', '4'],
  ]);
});

test('env of tagged hosts: each tag in order, secrets a union where a later alias wins', () => {
  const config = loadFixture('env-tags');
  assert.equal(envFor(config, 'web', '1.1.1.1').clear, [['REDIS_URL', 'redis://x/y'], ['DEBUG', false], ['TYPE', 'odd']]);
  assert.equal(envFor(config, 'workers', '1.1.1.3'), {
    clear: [['REDIS_URL', 'redis://a/b'], ['DEBUG', false], ['WEB_CONCURRENCY', '4'], ['TYPE', 'oddjob']],
    secrets: [['DB_PASSWORD', 'REPLICA_DB_PASSWORD'], ['API_KEY', 'API_KEY']],
  });
});

test('env from the roles fixture: tags with both forms', () => {
  const config = loadFixture('roles');
  assert.equal(envFor(config, 'web', '172.1.0.2'), {
    clear: [['RAILS_ENV', 'production'], ['EXPERIMENT', 'two']],
    secrets: [['RAILS_MASTER_KEY', 'RAILS_MASTER_KEY'], ['EXPERIMENT_TOKEN', 'EXPERIMENT_TOKEN']],
  });
  assert.equal(envFor(config, 'workers', '172.1.0.4'), {
    clear: [['RAILS_ENV', 'production'], ['QUEUE', 'default'], ['EXPERIMENT', 'one']],
    secrets: [['RAILS_MASTER_KEY', 'RAILS_MASTER_KEY'], ['JOBS_KEY', 'JOBS_KEY']],
  });
});

test('a host tag without an env/tags entry adds nothing to the env (Kamal 2.9.0; 2.6.0 crashes there)', () => {
  const project = tempProject({
    'config/deploy.yml':
      'service: app\nimage: dhh/app\nservers:\n  - 1.1.1.1: [db, fast]\n  - 1.1.1.2\nregistry: {username: u, password: p}\nbuilder: {arch: amd64}\n' +
      'env:\n  clear: {A: root}\n  secret: [S]\n  tags:\n    fast: {clear: {A: fast, B: fast}, secret: [F]}\n',
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    assert.equal(envFor(config, 'web', '1.1.1.1'), { clear: [['A', 'fast'], ['B', 'fast']], secrets: [['S', 'S'], ['F', 'F']] });
    assert.equal(envFor(config, 'web', '1.1.1.2'), { clear: [['A', 'root']], secrets: [['S', 'S']] });
  } finally {
    project.cleanup();
  }
});

test('envFor still refuses a host that is not in the role', () => {
  const config = loadFixture('env-tags');
  assert.throws(() => envFor(config, 'web', '9.9.9.9'), (error: unknown) => error instanceof UserError && /not in role web/.test((error as Error).message));
});

test('accessory env has its own clear values and aliased secrets', () => {
  const config = loadFixture('env-tags');
  assert.equal(accessoryEnv(config, 'main_db'), { clear: [], secrets: [['DB_PASSWORD', 'MAIN_DB_PASSWORD']] });
  const accessories = loadFixture('accessories');
  assert.equal(accessoryEnv(accessories, 'mysql'), {
    clear: [['MYSQL_ROOT_HOST', '%']],
    secrets: [['MYSQL_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD']],
  });
});

test('listSecretReferences names every secret with where it is used', () => {
  assert.equal(listSecretReferences(loadFixture('env-tags')), [
    { secret: 'MAIN_DB_PASSWORD', keyPath: 'env/secret/0' },
    { secret: 'API_KEY', keyPath: 'env/secret/1' },
    { secret: 'REPLICA_DB_PASSWORD', keyPath: 'env/tags/oddjob/secret/0' },
    { secret: 'MAIN_DB_PASSWORD', keyPath: 'accessories/main_db/env/secret/0' },
  ]);
  const roles = listSecretReferences(loadFixture('roles'));
  assert.equal(roles, [
    { secret: 'REGISTRY_TOKEN', keyPath: 'registry/password' },
    { secret: 'RAILS_MASTER_KEY', keyPath: 'env/secret/0' },
    { secret: 'EXPERIMENT_TOKEN', keyPath: 'env/tags/experiment2/secret/0' },
    { secret: 'JOBS_KEY', keyPath: 'servers/workers/env/secret/0' },
  ]);
  const everything = listSecretReferences(loadFixture('everything'));
  assert.equal(everything, [
    { secret: 'DOCKER_REGISTRY_TOKEN', keyPath: 'registry/username' },
    { secret: 'DOCKER_REGISTRY_TOKEN', keyPath: 'registry/password' },
    { secret: 'SECRET1', keyPath: 'builder/secrets/0' },
    { secret: 'SECRET2', keyPath: 'builder/secrets/1' },
  ]);
  const accessories = listSecretReferences(loadFixture('accessories'));
  assert.ok(accessories.some((ref) => ref.secret === 'PRIVATE_REGISTRY_PASSWORD' && ref.keyPath === 'accessories/private/registry/password'));
  assert.ok(accessories.some((ref) => ref.secret === 'MYSQL_ROOT_PASSWORD' && ref.keyPath === 'accessories/mysql/env/secret/0'));
});

test.run();
