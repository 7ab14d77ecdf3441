// Hooks: Kamal's test/commands/hook_test.rb and the KAMAL_* environment of KAMAL-FACTS §2.5.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abbreviatedVersion, hookCommand, hookEnvironment, hookFile, HOOK_NAMES } from '../../../src/commands/hook.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadFixture } from '../../fixtures/commands/b/load.ts';

const AT = '2025-05-01T12:00:00Z';
const PERFORMER = 'dhh@example.com';

test('run: /usr/bin/env <hooks_path>/<name>', () => {
  assert.is(render(hookCommand(loadFixture('base.yml'), 'foo')), '/usr/bin/env .kamal/hooks/foo');
  assert.is(render(hookCommand(loadFixture('hooks.yml'), 'pre-deploy')), '/usr/bin/env custom/hooks/path/pre-deploy');
  assert.is(hookFile({ hooksPath: 'custom/hooks/' }, 'foo'), 'custom/hooks/foo');
  assert.is(hookFile({ hooksPath: '/' }, 'foo'), '/foo');
});

test('env: the tags in Kamal order, unset ones left out', () => {
  const env = hookEnvironment({ config: loadFixture('base.yml'), version: '123', recordedAt: AT, performer: PERFORMER, hosts: ['1.1.1.1'], command: 'deploy', lock: false });
  assert.equal(Object.entries(env), [
    ['KAMAL_RECORDED_AT', AT],
    ['KAMAL_PERFORMER', PERFORMER],
    ['KAMAL_VERSION', '123'],
    ['KAMAL_SERVICE_VERSION', 'app@123'],
    ['KAMAL_SERVICE', 'app'],
    ['KAMAL_HOSTS', '1.1.1.1'],
    ['KAMAL_LOCK', 'false'],
    ['KAMAL_COMMAND', 'deploy'],
  ]);
});

test('env with everything: destination, roles, subcommand, runtime, secrets last', () => {
  const env = hookEnvironment({
    config: loadFixture('base.yml', 'staging'),
    version: '0123456789abcdef',
    recordedAt: new Date(Date.UTC(2025, 4, 1, 12, 0, 0, 250)),
    performer: PERFORMER,
    hosts: ['1.1.1.1', '1.1.1.2'],
    roles: ['web', 'workers'],
    command: 'app',
    subcommand: 'boot',
    lock: true,
    runtime: 42,
    secrets: { DB_PASSWORD: 'secret', KAMAL_REGISTRY_PASSWORD: 'pw' },
  });
  assert.equal(Object.entries(env), [
    ['KAMAL_RECORDED_AT', AT],
    ['KAMAL_PERFORMER', PERFORMER],
    ['KAMAL_DESTINATION', 'staging'],
    ['KAMAL_VERSION', '0123456789abcdef'],
    ['KAMAL_SERVICE_VERSION', 'app@0123456'],
    ['KAMAL_SERVICE', 'app'],
    ['KAMAL_HOSTS', '1.1.1.1,1.1.1.2'],
    ['KAMAL_ROLES', 'web,workers'],
    ['KAMAL_LOCK', 'true'],
    ['KAMAL_COMMAND', 'app'],
    ['KAMAL_SUBCOMMAND', 'boot'],
    ['KAMAL_RUNTIME', '42'],
    ['DB_PASSWORD', 'secret'],
    ['KAMAL_REGISTRY_PASSWORD', 'pw'],
  ]);
});

test('env with secrets (Kamal hook_test.rb) as pairs; a secret named like a tag replaces it in place', () => {
  const env = hookEnvironment({
    config: loadFixture('base.yml'), version: '123', recordedAt: AT, performer: PERFORMER, hosts: [], command: 'deploy', lock: true,
    secrets: [['DB_PASSWORD', 'secret'], ['KAMAL_SERVICE', 'shadow']],
  });
  assert.equal(Object.keys(env), ['KAMAL_RECORDED_AT', 'KAMAL_PERFORMER', 'KAMAL_VERSION', 'KAMAL_SERVICE_VERSION', 'KAMAL_SERVICE', 'KAMAL_HOSTS', 'KAMAL_LOCK', 'KAMAL_COMMAND', 'DB_PASSWORD']);
  assert.is(env['KAMAL_SERVICE'], 'shadow');
  assert.is(env['KAMAL_HOSTS'], '');
  assert.is(env['DB_PASSWORD'], 'secret');
});

test('abbreviated version: first 7 characters unless it contains _', () => {
  assert.is(abbreviatedVersion('75bf6fa40b975cbd8aec05abf7164e0982f185ac'), '75bf6fa');
  assert.is(abbreviatedVersion('999'), '999');
  assert.is(abbreviatedVersion('75bf6fa40b975cbd_uncommitted_0123456789abcdef'), '75bf6fa40b975cbd_uncommitted_0123456789abcdef');
});

test('hook names', () => {
  assert.equal([...HOOK_NAMES].sort(), ['docker-setup', 'post-app-boot', 'post-deploy', 'post-proxy-reboot', 'pre-app-boot', 'pre-build', 'pre-connect', 'pre-deploy', 'pre-proxy-reboot']);
});

test.run();
