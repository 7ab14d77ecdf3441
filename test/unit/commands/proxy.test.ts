// kamal-proxy container commands: Kamal's commands/proxy_test.rb and the recorded boot lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bootConfig,
  bootConfigReset,
  cleanupTraefik,
  ensureAppsConfigDirectory,
  ensureProxyDirectory,
  followProxyLogs,
  proxyDetails,
  proxyLogs,
  proxyVersionProbe,
  readBootOptions,
  readProxyImage,
  readProxyImageVersion,
  readProxyRunCommand,
  removeProxyContainer,
  removeProxyDirectory,
  removeProxyImage,
  runProxy,
  startOrRunProxy,
  startProxy,
  stopProxy,
} from '../../../src/commands/proxy.ts';
import { render } from '../../../src/commands/shell.ts';
import { fixture } from '../../fixtures/commands/a/load.ts';

const BOOT_CONFIG = 'echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0") $(cat .kamal/proxy/run_command 2> /dev/null || echo "")';
const DOCKER_RUN = 'docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $(pwd)/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config';

test('run (the reboot form)', () => {
  assert.is(render(runProxy()), `/usr/bin/env ${BOOT_CONFIG} | xargs ${DOCKER_RUN}`);
});

test('start or run: the recorded boot line', () => {
  assert.is(render(startOrRunProxy()), `docker container start kamal-proxy || ${BOOT_CONFIG} | xargs ${DOCKER_RUN}`);
});

test('start, stop, details', () => {
  assert.is(render(startProxy()), 'docker container start kamal-proxy');
  assert.is(render(stopProxy()), 'docker container stop kamal-proxy');
  assert.is(render(stopProxy('traefik')), 'docker container stop traefik');
  assert.is(render(proxyDetails()), 'docker ps --filter name=^kamal-proxy$');
});

test('logs', () => {
  assert.is(render(proxyLogs()), 'docker logs kamal-proxy --timestamps 2>&1');
  assert.is(render(proxyLogs({ since: '2h' })), 'docker logs kamal-proxy --since 2h --timestamps 2>&1');
  assert.is(render(proxyLogs({ lines: 10 })), 'docker logs kamal-proxy --tail 10 --timestamps 2>&1');
  assert.is(render(proxyLogs({ timestamps: false })), 'docker logs kamal-proxy 2>&1');
  assert.is(render(proxyLogs({ grep: 'hello!' })), "docker logs kamal-proxy --timestamps 2>&1 | grep 'hello!'");
  assert.is(render(proxyLogs({ grep: 'x', grepOptions: '-i' })), "docker logs kamal-proxy --timestamps 2>&1 | grep 'x' -i");
});

test('follow logs over ssh', () => {
  const ssh = fixture().ssh;
  assert.is(render(followProxyLogs(ssh, '1.1.1.1'), { mapFirstToken: false }),
    "ssh -t root@1.1.1.1 -p 22 'docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1'");
  assert.is(render(followProxyLogs(ssh, '1.1.1.1', { grep: 'hello!' }), { mapFirstToken: false }),
    `ssh -t root@1.1.1.1 -p 22 'docker logs kamal-proxy --timestamps --tail 10 --follow 2>&1 | grep "hello!"'`);
});

test('remove container and image, by the image title label', () => {
  assert.is(render(removeProxyContainer()), 'docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy');
  assert.is(render(removeProxyImage()), 'docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy');
});

test('cleanup traefik', () => {
  assert.is(render(cleanupTraefik()),
    'docker container stop traefik ; docker container prune --force --filter label=org.opencontainers.image.title=Traefik && docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik');
});

test('version probe', () => {
  assert.is(render(proxyVersionProbe()), "docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'");
});

test('directories', () => {
  assert.is(render(ensureProxyDirectory()), '/usr/bin/env mkdir -p .kamal/proxy');
  assert.is(render(ensureAppsConfigDirectory()), '/usr/bin/env mkdir -p .kamal/proxy/apps-config');
  assert.is(render(removeProxyDirectory()), '/usr/bin/env rm -r .kamal/proxy');
});

test('read the boot files', () => {
  assert.is(render(readBootOptions()), '/usr/bin/env cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m"');
  assert.is(render(readProxyImage()), '/usr/bin/env cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"');
  assert.is(render(readProxyImageVersion()), '/usr/bin/env cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0"');
  assert.is(render(readProxyRunCommand()), '/usr/bin/env cat .kamal/proxy/run_command 2> /dev/null || echo ""');
});

test('boot config get and reset', () => {
  assert.is(render(bootConfig()), `/usr/bin/env ${BOOT_CONFIG}`);
  assert.equal(bootConfigReset().map((command) => render(command)), [
    '/usr/bin/env rm .kamal/proxy/options',
    '/usr/bin/env rm .kamal/proxy/image',
    '/usr/bin/env rm .kamal/proxy/image_version',
    '/usr/bin/env rm .kamal/proxy/run_command',
  ]);
});

test.run();
