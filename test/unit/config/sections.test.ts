import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerName, envFilePath } from '../../../src/config/index.ts';
import type { Config, RoleConfig } from '../../../src/config/index.ts';
import { loadFixture } from './fixtures.ts';

function role(config: Config, name: string): RoleConfig {
  const found = config.roles.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no role ${name}`);
  return found;
}

test('roles: names, order, hosts and tags (a repeated host keeps its place, later tags win)', () => {
  const config = loadFixture('roles');
  assert.equal(config.roles.map((r) => r.name), ['web', 'workers']);
  assert.equal(role(config, 'web').hosts, ['172.1.0.1', '172.1.0.2']);
  assert.equal(role(config, 'web').hostTags, { '172.1.0.1': [], '172.1.0.2': ['experiment1', 'experiment2'] });
  assert.equal(role(config, 'workers').hosts, ['172.1.0.3', '172.1.0.4']);
  assert.is(config.primaryRole, 'web');
  assert.is(config.primaryHost, '172.1.0.1');
  assert.equal(config.appHosts, ['172.1.0.1', '172.1.0.2', '172.1.0.3', '172.1.0.4']);
  assert.equal(config.proxyHosts, ['172.1.0.1', '172.1.0.2']);
});

test('roles: container names, prefixes, env files, cmd and docker options', () => {
  const config = loadFixture('roles');
  assert.is(containerName(config, 'web', '999'), 'shop-web-999');
  assert.is(containerName(config, 'workers', 'abc'), 'shop-workers-abc');
  assert.is(role(config, 'workers').containerPrefix, 'shop-workers');
  assert.is(envFilePath(config, { role: 'workers' }), '.kamal/apps/shop/env/roles/workers.env');
  assert.is(envFilePath(config, { accessory: 'db' }), '.kamal/apps/shop/env/accessories/db.env');
  assert.is(role(config, 'workers').cmd, 'bin/jobs');
  assert.is(role(config, 'web').cmd, undefined);
  assert.equal(role(config, 'workers').options, [
    ['memory', '2g'],
    ['cpus', '4'],
    ['cap-add', true],
    ['add-host', 'a:1.2.3.4'],
    ['add-host', 'b:5.6.7.8'],
  ]);
});

test('roles: labels are defaults, then root, then role labels, overriding in place', () => {
  const config = loadFixture('roles');
  assert.equal(role(config, 'web').labels, [
    ['service', 'shop'],
    ['role', 'web'],
    ['destination', null],
    ['team', 'shop'],
    ['my-label', 'root'],
  ]);
  assert.equal(role(config, 'workers').labels, [
    ['service', 'shop'],
    ['role', 'background'],
    ['destination', null],
    ['team', 'shop'],
    ['my-label', 'workers'],
  ]);
});

test('roles: logging deep-merges the role over the root', () => {
  const config = loadFixture('roles');
  assert.equal(config.logging, { driver: 'json-file', options: [['max-size', '100m']] });
  assert.equal(role(config, 'workers').logging, { driver: 'json-file', options: [['max-size', '100m'], ['max-file', '3']] });
});

test('roles: proxy, assets and stop timeout follow the primary role rules', () => {
  const config = loadFixture('roles');
  const web = role(config, 'web');
  const workers = role(config, 'workers');
  assert.is(web.runsProxy, true);
  assert.is(workers.runsProxy, false);
  assert.is(web.assetPath, '/rails/public/assets');
  assert.is(web.assets, true);
  assert.is(workers.assetPath, '/public');
  assert.is(workers.assets, false, 'assets need the proxy');
  assert.is(web.stopTimeout, undefined);
  assert.is(workers.stopTimeout, 30);
});

test('proxy: defaults for a role without any proxy settings', () => {
  const config = loadFixture('env-tags');
  assert.equal(role(config, 'web').proxy, {
    hosts: [],
    appPort: 80,
    ssl: false,
    pathPrefixes: [],
    healthcheck: {},
    buffering: { requests: true, responses: true },
    logging: { requestHeaders: ['Cache-Control', 'Last-Modified', 'User-Agent'] },
  });
  assert.is(role(config, 'workers').proxy, undefined);
});

test('proxy: root settings with every key, and roles deep-merging over them', () => {
  const config = loadFixture('proxy');
  assert.equal(config.roles.map((r) => r.name), ['web', 'admin', 'api', 'jobs']);
  const web = role(config, 'web').proxy;
  assert.equal(web, {
    hosts: ['blog.example.com', 'www.blog.example.com'],
    appPort: 3000,
    ssl: false,
    pathPrefixes: [],
    sslRedirect: false,
    forwardHeaders: true,
    responseTimeout: 10,
    healthcheck: { interval: 3, timeout: 3, path: '/health' },
    buffering: { requests: true, responses: false, memory: 2000000, maxRequestBody: 40000000, maxResponseBody: 0 },
    logging: { requestHeaders: ['Cache-Control', 'X-Forwarded-Proto'], responseHeaders: ['X-Request-ID'] },
  });
  const api = role(config, 'api');
  assert.equal(api.proxy?.hosts, ['api.example.com']);
  assert.is(api.proxy?.appPort, 4000);
  assert.is(api.proxy?.ssl, true);
  assert.is(api.ssl, true);
  assert.equal(api.proxy?.healthcheck, { interval: 3, timeout: 3, path: '/api/up' });
  assert.equal(role(config, 'admin').proxy, web, 'proxy: true inherits the root settings');
  assert.is(role(config, 'jobs').runsProxy, false);
  assert.equal(config.proxyHosts, ['10.0.0.4', '10.0.0.2', '10.0.0.1']);
  assert.equal(config.appHosts, ['10.0.0.4', '10.0.0.2', '10.0.0.3', '10.0.0.1']);
  assert.is(config.repository, 'ghcr.io/writer/blog');
  assert.is(config.deployTimeout, 45);
  assert.is(config.drainTimeout, 12);
  assert.is(role(config, 'jobs').stopTimeout, 12);
});

test('everything: one of every root key resolves with Kamal semantics', () => {
  const config = loadFixture('everything');
  assert.is(config.service, 'myapp');
  assert.is(config.repository, 'registry.digitalocean.com/my-image');
  assert.equal(config.registry, {
    server: 'registry.digitalocean.com',
    username: { secret: 'DOCKER_REGISTRY_TOKEN' },
    password: { secret: 'DOCKER_REGISTRY_TOKEN' },
  });
  assert.equal(config.env.clear, [['DATABASE_HOST', 'mysql-db1'], ['DATABASE_PORT', '3306']]);
  assert.is(config.primaryRole, 'workers');
  assert.is(role(config, 'workers').runsProxy, true, 'the primary role runs the proxy even when not called web');
  assert.is(config.hooksPath, '/user_home/kamal/hooks');
  assert.is(config.errorPagesPath, 'public');
  assert.is(config.runDirectory, '.kamal', 'run_directory is accepted and ignored');
  assert.is(config.retainContainers, 3);
  assert.is(config.readinessDelay, 4);
  assert.is(config.minimumVersion, '1.3.0');
  assert.equal(config.ssh, {
    user: 'app',
    port: 2222,
    proxy: 'root@proxy-host',
    logLevel: 'debug',
    keysOnly: false,
    keys: ['~/.ssh/id.pem'],
    keyData: ['-----BEGIN OPENSSH PRIVATE KEY-----'],
    config: true,
    keepaliveInterval: 30,
  });
  assert.equal(config.sshkit, { maxConcurrentStarts: 10, poolIdleTimeout: 300 });
  assert.equal(config.builder, {
    arches: ['amd64'],
    remote: 'ssh://docker@docker-builder',
    local: true,
    driver: 'cloud org-name/builder-name',
    cache: { type: 'registry', options: 'mode=max', image: 'kamal-app-build-cache' },
    args: [['ENVIRONMENT', 'production'], ['DEBUG', false]],
    secrets: ['SECRET1', 'SECRET2'],
    dockerfile: 'Dockerfile.production',
    target: 'production',
    context: '.',
    ssh: 'default=$SSH_AUTH_SOCK',
    provenance: 'mode=max',
    sbom: true,
  });
  assert.equal(config.boot, { limit: { hosts: 2 }, wait: 10, parallelRoles: false });
  assert.equal(config.aliases, { console: 'app exec -i --reuse "bin/rails console"', uname: 'app exec -p -q -r web "uname -a"' });
  assert.equal(config.sextant.retry, { attempts: 6, baseDelay: 0.5, maxDelay: 20, downAfter: 5 });
  assert.equal(config.sextant.fleet, { maxFailures: { count: 0 }, onFailure: 'keep' });
  assert.equal(config.volumes, ['/path/on/host:/path/in/container:ro']);
  assert.equal(config.allHosts, ['10.1.1.1', '10.1.1.2']);
  assert.is(JSON.stringify(JSON.parse(JSON.stringify(config))), JSON.stringify(config), 'plain data');
});

test('defaults of a minimal config', () => {
  const config = loadFixture('env-tags');
  assert.is(config.hooksPath, '.kamal/hooks');
  assert.is(config.latestTag, 'latest');
  assert.is(config.repository, 'dhh/app');
  assert.equal(config.ssh, { user: 'root', port: 22, logLevel: 'fatal', keepaliveInterval: 30 });
  assert.equal(config.sshkit, { maxConcurrentStarts: 30, poolIdleTimeout: 900 });
  assert.equal(config.builder, { arches: ['amd64'], local: true, driver: 'docker-container', args: [], secrets: [], dockerfile: 'Dockerfile' });
  assert.equal([config.deployTimeout, config.drainTimeout, config.readinessDelay, config.retainContainers], [30, 30, 7, 5]);
  assert.equal(config.sextant.retry, { attempts: 4, baseDelay: 1, maxDelay: 15, downAfter: 5 });
  assert.equal(config.sextant.deadlines, { command: 30, pull: 300, proxyDeploy: 75, stop: 45, build: 3600, hook: 600, local: 30 });
  assert.equal(config.logging, { options: [['max-size', '10m']] });
  assert.equal(config.boot, { parallelRoles: false });
  assert.is(config.requireDestination, false);
});

test('accessory-only config: no roles, no primary host', () => {
  const config = loadFixture('accessory-only');
  assert.equal(config.roles, []);
  assert.is(config.primaryHost, undefined);
  assert.is(config.primaryRole, undefined);
  assert.equal(config.appHosts, []);
  assert.equal(config.allHosts, ['9.9.9.9']);
  assert.equal(config.builder.arches, ['arm64']);
});

test('destinations: deep merge, labels, names and ERB with KAMAL_DESTINATION', () => {
  const config = loadFixture('destinations', { destination: 'staging', env: { APP_HOST: 'app.test', KAMAL_DESTINATION: 'ignored' } });
  assert.equal(config.files, ['config/deploy.yml', 'config/deploy.staging.yml']);
  assert.is(config.destination, 'staging');
  assert.is(config.latestTag, 'latest-staging');
  assert.is(config.serviceAndDestination, 'app-staging');
  assert.equal(role(config, 'web').hosts, ['2.2.2.1']);
  assert.equal(role(config, 'workers').hosts, ['1.1.1.3']);
  assert.equal(role(config, 'web').labels, [['service', 'app'], ['role', 'web'], ['destination', 'staging'], ['tier', 'front']]);
  assert.is(containerName(config, 'workers', '999'), 'app-workers-staging-999');
  assert.is(envFilePath(config, { role: 'web' }), '.kamal/apps/app-staging/env/roles/web.env');
  assert.equal(config.env.clear, [['HOST', 'app.test'], ['DESTINATION', 'staging'], ['LOG_LEVEL', 'debug'], ['EXTRA', 'yes']]);
  assert.equal(config.env.secret, ['RAILS_MASTER_KEY']);
  assert.equal(config.volumes, ['/staging:/data'], 'arrays are replaced, not merged');
  assert.equal(config.logging.options, [['max-size', '5m'], ['max-file', '2']], 'merge keys work');
});

test('destinations: without a destination KAMAL_DESTINATION is unset for ERB', () => {
  const config = loadFixture('destinations', { env: { KAMAL_DESTINATION: 'leaked', TIER: 'back', APP_HOST: 'h' } });
  assert.equal(config.files, ['config/deploy.yml']);
  assert.equal(config.env.clear, [['HOST', 'h'], ['DESTINATION', ''], ['LOG_LEVEL', 'info']]);
  assert.equal(role(config, 'web').labels.at(-1), ['tier', 'back']);
  assert.equal(role(config, 'web').hosts, ['1.1.1.1', '1.1.1.2']);
  assert.is(config.latestTag, 'latest');
});

test.run();
