// docker login / logout: Kamal's test/commands/registry_test.rb expectations and the s01 recording.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { login, logout } from '../../../src/commands/registry.ts';
import { accessoryRegistry } from '../../../src/commands/accessory.ts';
import { render, renderForDisplay } from '../../../src/commands/shell.ts';
import { loadFixture, secretsFrom } from '../../fixtures/commands/b/load.ts';

const noSecrets = secretsFrom({});

function dbRegistry(file: string) {
  const config = loadFixture(file);
  const db = config.accessories.find((accessory) => accessory.name === 'db')!;
  return accessoryRegistry(config, db);
}

test('registry login with a custom server', () => {
  const config = loadFixture('registry.yml');
  const command = login({ registry: config.registry, secrets: noSecrets });
  assert.is(render(command), 'docker login hub.docker.com -u "dhh" -p "secret"');
  assert.is(renderForDisplay(command), 'docker login hub.docker.com -u [REDACTED] -p [REDACTED]');
});

test("an accessory's own registry", () => {
  assert.is(render(login({ registry: dbRegistry('registry.yml'), secrets: noSecrets })), 'docker login other.hub.docker.com -u "user" -p "pw"');
});

test('passwords and user names from the secrets', () => {
  const config = loadFixture('registry-secrets.yml');
  const secrets = secretsFrom({
    KAMAL_REGISTRY_USERNAME: 'also-secret',
    KAMAL_REGISTRY_PASSWORD: 'more-secret',
    KAMAL_MYSQL_REGISTRY_PASSWORD: 'secret-pw',
  });
  const main = login({ registry: config.registry, secrets });
  assert.is(render(main), 'docker login hub.docker.com -u "also-secret" -p "more-secret"');
  assert.is(renderForDisplay(main), 'docker login hub.docker.com -u [REDACTED] -p [REDACTED]');
  assert.is(render(login({ registry: dbRegistry('registry-secrets.yml'), secrets })), 'docker login other.hub.docker.com -u "user" -p "secret-pw"');
});

test('a password with quotes is escaped; a secret never expands on the remote shell', () => {
  const config = loadFixture('registry-secrets.yml');
  const quoted = login({ registry: config.registry, secrets: secretsFrom({ KAMAL_REGISTRY_USERNAME: 'dhh', KAMAL_REGISTRY_PASSWORD: `more-secret'"` }) });
  assert.is(render(quoted), `docker login hub.docker.com -u "dhh" -p "more-secret'\\""`);
  const dollars = login({ registry: config.registry, secrets: secretsFrom({ KAMAL_REGISTRY_USERNAME: 'dhh', KAMAL_REGISTRY_PASSWORD: 'p${HOME}$(id)`x`' }) });
  assert.is(render(dollars), 'docker login hub.docker.com -u "dhh" -p "p\\${HOME}\\$(id)\\`x\\`"');
  assert.not.match(renderForDisplay(dollars), 'HOME');
});

test('Docker Hub: no server word (s01 shape with a server for comparison)', () => {
  const hub = loadFixture('builder.yml');
  assert.is(render(login({ registry: hub.registry, secrets: noSecrets })), 'docker login -u "dhh" -p "secret"');
  const s01 = login({
    registry: { server: 'registry.example.com', username: { value: 'deployer' }, password: { secret: 'KAMAL_REGISTRY_PASSWORD' } },
    secrets: secretsFrom({ KAMAL_REGISTRY_PASSWORD: 'SEXTANT-CANARY-REGISTRY-PASSWORD' }),
  });
  assert.is(render(s01), 'docker login registry.example.com -u "deployer" -p "SEXTANT-CANARY-REGISTRY-PASSWORD"');
});

test('a missing secret fails before any command exists', () => {
  const config = loadFixture('registry-secrets.yml');
  assert.throws(() => login({ registry: config.registry, secrets: noSecrets }), /KAMAL_REGISTRY_USERNAME/);
});

test('logout', () => {
  assert.is(render(logout(loadFixture('registry.yml').registry)), 'docker logout hub.docker.com');
  assert.is(render(logout(dbRegistry('registry.yml'))), 'docker logout other.hub.docker.com');
  assert.is(render(logout(loadFixture('builder.yml').registry)), 'docker logout');
});

test.run();
