// ssh2 is loaded by the first connection (src/remote/ssh2-client.ts), not at start: commands that
// never reach a server start without it. Runs in its own process, so nothing else loaded it first.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { newSshClient } from '../../../src/remote/ssh2-client.ts';
import { tempProject } from '../config/temp-project.ts';

const ssh2Loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\/]node_modules[\\/]ssh2[\\/]/.test(file));

test('version, config and the whole command tree (help) leave ssh2 unloaded; the first client loads it', async () => {
  const project = tempProject({ 'config/deploy.yml': 'service: app\nimage: app\nservers:\n  - 1.1.1.1\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n' });
  try {
    const io = captureIO(project.dir, {});
    assert.is(await runCli(['version'], io), 0);
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.is(await runCli(['--help'], io), 0);
    assert.not.ok(ssh2Loaded(), 'ssh2 is not loaded before a connection');
    const client = newSshClient();
    assert.is(typeof client.connect, 'function');
    assert.ok(ssh2Loaded(), 'the first client loads ssh2');
  } finally {
    project.cleanup();
  }
});

test.run();
