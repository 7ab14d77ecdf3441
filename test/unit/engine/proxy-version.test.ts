import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from '../../../src/commands/command.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { proxyBoot } from '../../../src/engine/steps/server.ts';
import type { Transport } from '../../../src/remote/transport.ts';
import { tempProject } from '../config/temp-project.ts';
import { testSession } from './test-session.ts';

// A server whose kamal-proxy runs the given image tag.
function server(tag: string, lines: string[]): Transport {
  return {
    host: 'h',
    exec: async (command: Command) => {
      const line = render(command);
      lines.push(line);
      return { exitCode: 0, stdout: line.startsWith('docker inspect kamal-proxy') ? `${tag}\n` : '', stderr: '' };
    },
    upload: async () => {},
    uploadDirectory: async () => {},
    close: async () => {},
  };
}

async function boot(tag: string) {
  const project = tempProject({ 'config/deploy.yml': 'service: app\nimage: a/b\nservers: [h]\nregistry: { username: u, password: p }\nbuilder: { arch: amd64 }\n' });
  const config = loadConfig({ cwd: project.dir, env: {} });
  const lines: string[] = [];
  const session = testSession(config, () => server(tag, lines), { version: () => 'v1' });
  try {
    await proxyBoot(session.env, 'h');
    return { lines, error: undefined as Error | undefined };
  } catch (error) {
    return { lines, error: error as Error };
  } finally {
    project.cleanup();
  }
}

test('a kamal-proxy older than v0.9.0 stops the boot with Kamal\'s advice', async () => {
  const { lines, error } = await boot('v0.8.7');
  assert.match(error?.message ?? '', 'kamal-proxy version v0.8.7 is too old, run `sextant proxy reboot` in order to update to at least v0.9.0');
  assert.not.ok(lines.some((l) => l.includes('docker container start kamal-proxy')), 'nothing is started');
});

test('v0.9.0 and newer, or no proxy yet, go on to start-or-run', async () => {
  for (const tag of ['v0.9.0', 'v0.10.1', '']) {
    const { lines, error } = await boot(tag);
    assert.is(error, undefined, `tag ${tag}`);
    assert.ok(lines.at(-1)?.startsWith('docker container start kamal-proxy || echo'), `tag ${tag}`);
  }
});

test.run();
