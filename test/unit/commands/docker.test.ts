// Docker on the servers: Kamal's commands/docker_test.rb, the network and the local check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createNetwork,
  dockerInstalled,
  dockerRunning,
  ensureLocalDockerInstalled,
  installDocker,
  localBuildxInstalled,
  localDockerInstalled,
  runOverSsh,
  superuser,
} from '../../../src/commands/docker.ts';
import { argv } from '../../../src/commands/command.ts';
import { render } from '../../../src/commands/shell.ts';
import { fixture } from '../../fixtures/commands/a/load.ts';

test('install', () => {
  assert.is(render(installDocker()), `/usr/bin/env sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh`);
});

test('installed, running, superuser', () => {
  assert.is(render(dockerInstalled()), 'docker -v');
  assert.is(render(dockerRunning()), 'docker version');
  assert.is(render(superuser()), '[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
});

test('create network', () => {
  assert.is(render(createNetwork()), 'docker network create kamal');
});

test('local docker check', () => {
  assert.is(render(ensureLocalDockerInstalled()), 'docker --version && docker buildx version');
  assert.is(render(localDockerInstalled()), 'docker --version');
  assert.is(render(localBuildxInstalled()), 'docker buildx version');
});

test('run over ssh (Kamal run_over_ssh cases)', () => {
  const over = (name: string) => render(runOverSsh(fixture(name).ssh, '1.1.1.1', argv('ls')), { mapFirstToken: false });
  assert.is(over('deploy'), "ssh -t root@1.1.1.1 -p 22 'ls'");
  assert.is(over('ssh-jump'), "ssh -J root@2.2.2.2 -t app@1.1.1.1 -p 22 'ls'");
  assert.is(over('ssh-keys'), "ssh -J app@2.2.2.2 -i path_to_key.pem -i ~/'.ssh/other key' -o IdentitiesOnly=yes -t root@1.1.1.1 -p 2222 'ls'");
  assert.is(over('ssh-command'), "ssh -o ProxyCommand='ssh -W %h:%p user@proxy-server' -t root@1.1.1.1 -p 22 'ls'");
});

test.run();
