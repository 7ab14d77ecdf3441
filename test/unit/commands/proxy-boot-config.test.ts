// `kamal proxy boot_config set`: which of the four files is written (and with what) or removed,
// per Kamal's cli/proxy_test.rb boot_config cases and KAMAL-FACTS §3.3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../src/errors.ts';
import { bootConfigFiles, isIPv4, isIPv6, type BootConfigOptions } from '../../../src/commands/proxy.ts';
import { render } from '../../../src/commands/shell.ts';

/** `write <path> <content>` or `run <command>` per file, in order. */
function plan(options: BootConfigOptions = {}): string[] {
  return bootConfigFiles(options).map((action) =>
    action.kind === 'write' ? `write ${action.path} ${action.content}` : `run ${render(action.command)}`);
}

const RM_OPTIONS = 'run /usr/bin/env rm .kamal/proxy/options';
const RM_IMAGE = 'run /usr/bin/env rm .kamal/proxy/image';
const RM_VERSION = 'run /usr/bin/env rm .kamal/proxy/image_version';
const RM_RUN = 'run /usr/bin/env rm .kamal/proxy/run_command';

test('defaults remove all four files', () => {
  assert.equal(plan(), [RM_OPTIONS, RM_IMAGE, RM_VERSION, RM_RUN]);
});

test('no publish', () => {
  assert.equal(plan({ publish: false }), ['write .kamal/proxy/options --log-opt max-size=10m', RM_IMAGE, RM_VERSION, RM_RUN]);
});

test('custom and empty log max size', () => {
  assert.equal(plan({ logMaxSize: '100m' })[0], 'write .kamal/proxy/options --publish 80:80 --publish 443:443 --log-opt max-size=100m');
  assert.equal(plan({ logMaxSize: '' })[0], 'write .kamal/proxy/options --publish 80:80 --publish 443:443');
});

test('custom ports', () => {
  assert.equal(plan({ httpPort: 8080, httpsPort: 8443 })[0], 'write .kamal/proxy/options --publish 8080:80 --publish 8443:443 --log-opt max-size=10m');
});

test('bind IPs, IPv6 in brackets', () => {
  assert.equal(plan({ publishHostIps: ['127.0.0.1'] })[0],
    'write .kamal/proxy/options --publish 127.0.0.1:80:80 --publish 127.0.0.1:443:443 --log-opt max-size=10m');
  assert.equal(plan({ publishHostIps: ['127.0.0.1', '::1'] })[0],
    'write .kamal/proxy/options --publish 127.0.0.1:80:80 --publish 127.0.0.1:443:443 --publish [::1]:80:80 --publish [::1]:443:443 --log-opt max-size=10m');
  assert.equal(plan({ publishHostIps: ['fe80::1%eth0'], httpPort: 81 })[0],
    'write .kamal/proxy/options --publish [fe80::1%eth0]:81:80 --publish [fe80::1%eth0]:443:443 --log-opt max-size=10m');
});

test('an invalid bind IP is a user error naming the address', () => {
  assert.throws(() => bootConfigFiles({ publishHostIps: ['1.2.3.invalidIP', '::1'] }),
    (error: unknown) => error instanceof UserError && error.message === 'Invalid publish IP address: 1.2.3.invalidIP');
  assert.throws(() => bootConfigFiles({ publishHostIps: ['256.1.1.1'] }), /Invalid publish IP address: 256\.1\.1\.1/);
  // Kamal only checks the addresses when it publishes.
  assert.equal(plan({ publish: false, publishHostIps: ['nope'] })[0], 'write .kamal/proxy/options --log-opt max-size=10m');
});

test('docker options', () => {
  assert.equal(plan({ dockerOptions: ['label=foo=bar', 'add_host=thishost:thathost'] }), [
    'write .kamal/proxy/options --publish 80:80 --publish 443:443 --log-opt max-size=10m --label=foo=bar --add_host=thishost:thathost',
    RM_IMAGE, RM_VERSION, RM_RUN,
  ]);
});

test('registry, repository, image version', () => {
  assert.equal(plan({ registry: 'myreg' }), [RM_OPTIONS, 'write .kamal/proxy/image myreg/basecamp/kamal-proxy', RM_VERSION, RM_RUN]);
  assert.equal(plan({ repository: 'myrepo' }), [RM_OPTIONS, 'write .kamal/proxy/image myrepo/kamal-proxy', RM_VERSION, RM_RUN]);
  assert.equal(plan({ imageVersion: '0.9.9' }), [RM_OPTIONS, RM_IMAGE, 'write .kamal/proxy/image_version 0.9.9', RM_RUN]);
  assert.equal(plan({ registry: '', repository: ' ' }), [RM_OPTIONS, RM_IMAGE, RM_VERSION, RM_RUN], 'blank means unset');
  assert.equal(plan({ repository: 'basecamp' })[1], RM_IMAGE, 'the default image is not written');
});

test('run command: metrics port and debug', () => {
  assert.equal(plan({ metricsPort: 9000, debug: true }), [
    'write .kamal/proxy/options --publish 80:80 --publish 443:443 --log-opt max-size=10m --expose=9000',
    RM_IMAGE, RM_VERSION,
    'write .kamal/proxy/run_command kamal-proxy run --debug --metrics-port "9000"',
  ]);
  assert.equal(plan({ debug: true })[3], 'write .kamal/proxy/run_command kamal-proxy run --debug');
  assert.equal(plan({ metricsPort: 9100 })[3], 'write .kamal/proxy/run_command kamal-proxy run --metrics-port "9100"');
});

test('everything at once', () => {
  assert.equal(plan({ dockerOptions: ['label=foo=bar'], registry: 'myreg', repository: 'myrepo', imageVersion: '0.9.9', metricsPort: 9000, debug: true }), [
    'write .kamal/proxy/options --publish 80:80 --publish 443:443 --log-opt max-size=10m --expose=9000 --label=foo=bar',
    'write .kamal/proxy/image myreg/myrepo/kamal-proxy',
    'write .kamal/proxy/image_version 0.9.9',
    'write .kamal/proxy/run_command kamal-proxy run --debug --metrics-port "9000"',
  ]);
});

test('KAMAL-FACTS §3.3 example', () => {
  assert.equal(plan({ httpPort: 8080, httpsPort: 8443, logMaxSize: '100m', registry: 'ghcr.io', repository: 'myorg', imageVersion: 'v0.9.2',
    metricsPort: 9000, debug: true, dockerOptions: ['sysctl=net.ipv4.ip_unprivileged_port_start=0'] }), [
    'write .kamal/proxy/options --publish 8080:80 --publish 8443:443 --log-opt max-size=100m --expose=9000 --sysctl=net.ipv4.ip_unprivileged_port_start=0',
    'write .kamal/proxy/image ghcr.io/myorg/kamal-proxy',
    'write .kamal/proxy/image_version v0.9.2',
    'write .kamal/proxy/run_command kamal-proxy run --debug --metrics-port "9000"',
  ]);
});

test('IP address checks follow Ruby Resolv', () => {
  for (const ip of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.0.2.11']) assert.ok(isIPv4(ip), ip);
  for (const ip of ['256.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4 ', 'a.b.c.d', '1.2.3.4\n']) assert.not.ok(isIPv4(ip), JSON.stringify(ip));
  for (const ip of ['::1', '::', '2001:db8::1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1:2:3:4:5:6:1.2.3.4', 'fe80::1%eth0', 'FE80:0:0:0:0:0:0:1%en0'])
    assert.ok(isIPv6(ip), ip);
  for (const ip of ['[::1]', '1:2:3:4:5:6:7', '12345::1', '::g', '1.2.3.4', 'fe80::1%']) assert.not.ok(isIPv6(ip), ip);
});

test.run();
