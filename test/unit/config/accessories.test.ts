import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AccessoryConfig, Config } from '../../../src/config/index.ts';
import { loadFixture } from './fixtures.ts';

function accessory(config: Config, name: string): AccessoryConfig {
  const found = config.accessories.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no accessory ${name}`);
  return found;
}

const config = loadFixture('accessories');

test('accessories keep config order', () => {
  assert.equal(config.accessories.map((a) => a.name), ['mysql', 'redis', 'search', 'cache', 'writer', 'readers', 'private', 'emptyreg', 'site']);
});

test('hosts from host, hosts, role and roles', () => {
  assert.equal(accessory(config, 'mysql').hosts, ['1.1.1.5']);
  assert.equal(accessory(config, 'redis').hosts, ['1.1.1.6', '1.1.1.7']);
  assert.equal(accessory(config, 'search').hosts, ['1.1.1.1', '1.1.1.2']);
  assert.equal(accessory(config, 'cache').hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
});

test('hosts from tags scan only plain-list roles (and a string tag matches as a substring, as in 2.6.0)', () => {
  assert.equal(accessory(config, 'writer').hosts, ['1.1.1.1'], 'jobs uses hosts: and is not scanned');
  assert.equal(accessory(config, 'readers').hosts, ['1.1.1.2', '1.1.1.3', '1.1.1.1']);
});

test('names, image, port, cmd, labels, options and network', () => {
  const mysql = accessory(config, 'mysql');
  assert.is(mysql.serviceName, 'mysql');
  assert.is(mysql.image, 'mysql:8.0');
  assert.is(mysql.port, '127.0.0.1:3306:3306');
  assert.is(mysql.cmd, 'bin/mysqld');
  assert.equal(mysql.labels, [['service', 'mysql'], ['app', 'myapp']]);
  assert.equal(mysql.options, [['cpus', '2']]);
  assert.is(mysql.network, 'custom');
  assert.is(mysql.envFilePath, '.kamal/apps/app/env/accessories/mysql.env');
  const redis = accessory(config, 'redis');
  assert.is(redis.serviceName, 'app-redis');
  assert.is(redis.port, '6379:6379');
  assert.is(redis.network, 'kamal');
  assert.equal(redis.labels, [['service', 'app-redis']]);
});

test('files, directories and volumes in Kamal order', () => {
  const mysql = accessory(config, 'mysql');
  assert.equal(mysql.files, [
    { local: 'config/my.cnf.erb', remote: 'mysql/etc/mysql/my.cnf', containerPath: '/etc/mysql/my.cnf' },
    { local: 'config/myoptions.cnf', remote: 'mysql/etc/mysql/myoptions.cnf', containerPath: '/etc/mysql/myoptions.cnf' },
  ]);
  assert.equal(mysql.directories, [
    { hostPath: '$PWD/mysql/mysql-logs', containerPath: '/var/log/mysql' },
    { hostPath: '/srv/mysql', containerPath: '/var/lib/mysql' },
  ]);
  assert.equal(mysql.volumes, [
    '/path/to/mysql-logs:/var/log/mysql',
    '$PWD/mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf',
    '$PWD/mysql/etc/mysql/myoptions.cnf:/etc/mysql/myoptions.cnf',
    '$PWD/mysql/mysql-logs:/var/log/mysql',
    '/srv/mysql:/var/lib/mysql',
  ]);
});

test('an accessory registry prefixes the image; an empty one is ignored', () => {
  const privateOne = accessory(config, 'private');
  assert.is(privateOne.image, 'registry.example.com:5000/tools/private');
  assert.equal(privateOne.registry, {
    server: 'registry.example.com:5000',
    username: { value: 'robot' },
    password: { secret: 'PRIVATE_REGISTRY_PASSWORD' },
  });
  assert.is(accessory(config, 'emptyreg').registry, undefined);
  assert.is(accessory(config, 'emptyreg').image, 'tools/public');
});

test('an accessory proxy is not merged with the root proxy and adds proxy hosts', () => {
  const site = accessory(config, 'site');
  assert.is(site.runsProxy, true);
  assert.equal(site.proxy?.hosts, ['static.example.com']);
  assert.is(site.proxy?.appPort, 8080);
  assert.is(accessory(config, 'mysql').runsProxy, false);
  assert.equal(config.proxyHosts, ['1.1.1.1', '1.1.1.2', '1.1.1.9']);
});

test('all hosts include accessory hosts after role hosts; app hosts are roles alphabetically', () => {
  assert.equal(config.appHosts, ['1.1.1.4', '1.1.1.1', '1.1.1.2', '1.1.1.3']);
  assert.equal(config.allHosts, ['1.1.1.4', '1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.5', '1.1.1.6', '1.1.1.7', '1.1.1.8', '1.1.1.9']);
  assert.is(config.primaryHost, '1.1.1.1');
  assert.equal(config.roles.map((r) => r.name), ['web', 'jobs', 'workers']);
});

test.run();
