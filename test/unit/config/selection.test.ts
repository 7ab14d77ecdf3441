import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootGroups, bootLimit, fnmatch, loadConfig, selectHosts } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { UserError } from '../../../src/errors.ts';
import { loadFixture } from './fixtures.ts';
import { tempProject } from './temp-project.ts';

const COMMON = 'service: app\nimage: dhh/app\nregistry: {username: u, password: p}\nbuilder: {arch: amd64}\n';

function configFrom(yaml: string): Config {
  const project = tempProject({ 'config/deploy.yml': COMMON + yaml });
  try {
    return loadConfig({ cwd: project.dir, env: {} });
  } finally {
    project.cleanup();
  }
}

const withRoles = configFrom('servers:\n  web: [1.1.1.1, 1.1.1.2]\n  workers: [1.1.1.3, 1.1.1.4]\n');
const primaryOverride = configFrom(
  'servers:\n  web_chicago:\n    proxy: {}\n    hosts: [1.1.1.1, 1.1.1.2]\n  web_tokyo:\n    proxy: {}\n    hosts: [1.1.1.3, 1.1.1.4]\nprimary_role: web_tokyo\n',
);

test('fnmatch: *, ?, [..], {a,b}, escapes and leading dots', () => {
  assert.ok(fnmatch('1.1.1.*', '1.1.1.4'));
  assert.ok(fnmatch('*', 'a/b'));
  assert.ok(fnmatch('1.1.1.[12]', '1.1.1.2'));
  assert.not.ok(fnmatch('1.1.1.[12]', '1.1.1.3'));
  assert.ok(fnmatch('1.1.1.[!12]', '1.1.1.3'));
  assert.ok(fnmatch('w{eb,orkers}', 'workers'));
  assert.ok(fnmatch('w?b', 'web'));
  assert.not.ok(fnmatch('*miss', 'web'));
  assert.not.ok(fnmatch('*', '.hidden'));
  assert.ok(fnmatch('.h*', '.hidden'));
  assert.ok(fnmatch('a\\*', 'a*'));
  assert.not.ok(fnmatch('a\\*', 'ab'));
});

test('no filters: all hosts, primary role hosts first', () => {
  const selection = selectHosts(withRoles);
  assert.equal(selection.hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4']);
  assert.equal(selection.roles, ['web', 'workers']);
  assert.is(selection.primaryHost, '1.1.1.1');
  assert.is(selection.primaryRole, 'web');
  assert.is(selection.specificHosts, undefined);
});

test('--hosts with globs', () => {
  assert.equal(selectHosts(withRoles, { hosts: ['1.1.1.1', '1.1.1.2'] }).hosts, ['1.1.1.1', '1.1.1.2']);
  assert.equal(selectHosts(withRoles, { hosts: ['1.1.1.1*'] }).hosts, ['1.1.1.1']);
  assert.equal(selectHosts(withRoles, { hosts: ['1.1.1.*', '*.1.2.*'] }).hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4']);
  assert.equal(selectHosts(withRoles, { hosts: ['*'] }).hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4']);
  assert.equal(selectHosts(withRoles, { hosts: ['1.1.1.[12]'] }).hosts, ['1.1.1.1', '1.1.1.2']);
  assert.throws(() => selectHosts(withRoles, { hosts: ['*miss'] }), (e: unknown) => e instanceof UserError && /No --hosts match for \*miss/.test((e as Error).message));
});

test('--hosts limits roles and moves the primary host', () => {
  const selection = selectHosts(withRoles, { hosts: ['1.1.1.3'] });
  assert.equal(selection.roles, ['workers']);
  assert.is(selection.primaryHost, '1.1.1.3');
  assert.is(selection.primaryRole, 'workers');
  assert.equal(selection.appHosts, ['1.1.1.3']);
});

test('--roles with globs', () => {
  assert.equal(selectHosts(withRoles, { roles: ['workers'] }).roles, ['workers']);
  assert.equal(selectHosts(withRoles, { roles: ['w*'] }).roles, ['web', 'workers']);
  assert.equal(selectHosts(withRoles, { roles: ['we*', '*orkers'] }).roles, ['web', 'workers']);
  assert.equal(selectHosts(withRoles, { roles: ['w{eb,orkers}'] }).roles, ['web', 'workers']);
  assert.equal(selectHosts(withRoles, { roles: ['web'] }).hosts, ['1.1.1.1', '1.1.1.2']);
  assert.throws(() => selectHosts(withRoles, { roles: ['*miss'] }), (e: unknown) => e instanceof UserError && /No --roles match for \*miss/.test((e as Error).message));
});

test('--roles moves the primary host to the first host of the selected role', () => {
  const selection = selectHosts(withRoles, { roles: ['workers'] });
  assert.is(selection.primaryHost, '1.1.1.3');
  assert.is(selection.primaryRole, 'workers');
  assert.equal(selection.specificRoles, ['workers']);
});

test('--roles prefers the configured primary role among matches', () => {
  const selection = selectHosts(primaryOverride, { roles: ['web_*'] });
  assert.equal(selection.roles, ['web_tokyo', 'web_chicago']);
  assert.is(selection.primaryRole, 'web_tokyo');
  assert.is(selection.primaryHost, '1.1.1.3');
  assert.equal(selection.hosts, ['1.1.1.3', '1.1.1.4', '1.1.1.1', '1.1.1.2']);
});

test('proxy hosts observe role and host filters; app hosts keep config order', () => {
  assert.equal(selectHosts(primaryOverride, { roles: ['web_tokyo'] }).proxyHosts, ['1.1.1.3', '1.1.1.4']);
  assert.equal(selectHosts(primaryOverride, { hosts: ['1.1.1.2'] }).proxyHosts, ['1.1.1.2']);
  assert.equal(selectHosts(primaryOverride).appHosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'], 'not primary-first in 2.6.0');
  assert.equal(selectHosts(primaryOverride).hosts, ['1.1.1.3', '1.1.1.4', '1.1.1.1', '1.1.1.2']);
});

test('--primary narrows to the primary host (of the first selected role when --roles is given)', () => {
  assert.equal(selectHosts(withRoles, { primary: true }).hosts, ['1.1.1.1']);
  const workers = selectHosts(withRoles, { primary: true, roles: ['workers'] });
  assert.equal(workers.hosts, ['1.1.1.3']);
  assert.is(workers.primaryHost, '1.1.1.3');
});

test('roles sharing a host: the primary role comes first on it', () => {
  const shared = configFrom('servers:\n  workers: [1.1.1.1]\n  web: [1.1.1.1, 1.1.1.2]\n');
  const selection = selectHosts(shared);
  assert.equal(selection.roles, ['web', 'workers']);
  assert.equal(shared.roles.map((r) => r.name), ['web', 'workers']);
  assert.equal(shared.appHosts, ['1.1.1.1', '1.1.1.2']);
});

test('accessory hosts with and without role filters', () => {
  const independent = configFrom(
    'servers:\n  web: [1.1.1.1, 1.1.1.2]\n  workers: [1.1.1.3, 1.1.1.4]\naccessories:\n  mysql: {image: mysql, host: 1.1.1.5}\n  redis: {image: redis, roles: [web]}\n',
  );
  assert.equal(selectHosts(independent).accessoryHosts, ['1.1.1.5', '1.1.1.1', '1.1.1.2']);
  assert.equal(selectHosts(independent, { roles: ['web'] }).accessoryHosts, ['1.1.1.1', '1.1.1.2']);
  assert.equal(selectHosts(independent, { roles: ['workers'] }).accessoryHosts, []);
  const single = configFrom('servers: [1.1.1.1]\naccessories:\n  mysql: {image: mysql, host: 1.1.1.5}\n');
  assert.equal(selectHosts(single).accessoryHosts, ['1.1.1.5']);
  assert.equal(selectHosts(single, { roles: ['web'] }).accessoryHosts, []);
});

test('boot groups: no limit means one group', () => {
  assert.equal(bootGroups(withRoles, withRoles.appHosts), [['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4']]);
  assert.is(bootLimit(withRoles), undefined);
});

test('boot groups: a fixed limit slices the given hosts', () => {
  const config = configFrom('servers: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5]\nboot: {limit: 2, wait: 10}\n');
  assert.equal(bootGroups(config, config.appHosts), [['1.1.1.1', '1.1.1.2'], ['1.1.1.3', '1.1.1.4'], ['1.1.1.5']]);
  assert.is(config.boot.wait, 10);
  assert.equal(bootGroups(config, ['1.1.1.4']), [['1.1.1.4']]);
});

test('boot groups: a percentage counts all hosts, accessories included, and is at least 1', () => {
  const config = loadFixture('boot');
  assert.is(config.allHosts.length, 10);
  assert.is(bootLimit(config), 2, '25% of 10 hosts');
  assert.equal(bootGroups(config, config.appHosts), [
    ['1.1.1.1', '1.1.1.2'],
    ['1.1.1.3', '1.1.1.4'],
    ['1.1.1.5', '1.1.1.6'],
    ['1.1.1.7'],
  ]);
  const small = configFrom('servers: [1.1.1.1, 1.1.1.2, 1.1.1.3]\nboot: {limit: "10%"}\n');
  assert.is(bootLimit(small), 1);
  const string = configFrom('servers: [1.1.1.1, 1.1.1.2, 1.1.1.3]\nboot: {limit: "2"}\n');
  assert.is(bootLimit(string), 2);
});

test.run();
