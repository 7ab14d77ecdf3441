// Server commands: Kamal's test/commands/server_test.rb, the bootstrap checks of KAMAL-FACTS §2
// (setup) and `server exec` with SSHKit's first-token rule.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  appDirectory,
  appDirectoryCount,
  dockerInstalled,
  dockerRunning,
  ensureRunDirectory,
  exec,
  installDocker,
  joinCommandWords,
  removeAppDirectory,
  superuser,
} from '../../../src/commands/server.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadFixture } from '../../fixtures/commands/b/load.ts';

test('ensure run directory', () => {
  assert.is(render(ensureRunDirectory(loadFixture('base.yml'))), '/usr/bin/env mkdir -p .kamal');
});

test('app directory: remove and count', () => {
  assert.is(appDirectory(loadFixture('base.yml', 'staging')), '.kamal/apps/app-staging');
  assert.is(render(removeAppDirectory(loadFixture('base.yml'))), '/usr/bin/env rm -r .kamal/apps/app');
  assert.is(render(appDirectoryCount(loadFixture('base.yml'))), '/usr/bin/env ls .kamal/apps | wc -l');
});

test('bootstrap: docker -v, the superuser check (unmapped), the get.docker.com install', () => {
  assert.is(render(dockerInstalled()), 'docker -v');
  assert.is(render(dockerRunning()), 'docker version');
  assert.is(render(superuser()), '[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
  assert.is(render(installDocker()),
    `/usr/bin/env sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh`);
});

test('server exec: the operator text as written; one word gets /usr/bin/env', () => {
  assert.is(render(exec('ls -la /var/log | head -3')), 'ls -la /var/log | head -3');
  assert.is(render(exec('uptime')), '/usr/bin/env uptime');
  assert.is(render(exec(['  docker ps ', 'lsof'])), 'docker ps lsof');
  assert.is(joinCommandWords([' a ', 'b\n', '\tc']), 'a b c');
});

test.run();
