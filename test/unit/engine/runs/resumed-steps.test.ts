// Steps a resumed run may run a second time check before they act: a role's start that finds the
// container its killed first try created starts that one (it may have been left created, not
// started) instead of running a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from '../../../../src/commands/command.ts';
import { renderForDisplay } from '../../../../src/commands/shell.ts';
import { loadConfig } from '../../../../src/config/index.ts';
import { swapStep } from '../../../../src/engine/steps/app.ts';
import type { ExecOptions, ExecResult, Transport } from '../../../../src/remote/transport.ts';
import { tempProject } from '../../config/temp-project.ts';
import { testSession } from '../test-session.ts';

class Server implements Transport {
  readonly log: string[] = [];
  constructor(
    readonly host: string,
    private readonly containerThere: boolean,
  ) {}
  async exec(command: Command, _options: ExecOptions = {}): Promise<ExecResult> {
    const line = renderForDisplay(command);
    this.log.push(line);
    const lookup = /container ls --all --filter name=\^shop-web-v2\$ --quiet$/.test(line);
    return { exitCode: 0, stdout: lookup && this.containerThere ? 'c0ffee\n' : '', stderr: '' };
  }
  async upload(path: string): Promise<void> {
    this.log.push(`upload ${path}`);
  }
  async uploadDirectory(): Promise<void> {}
  async close(): Promise<void> {}
}

async function start(attempt: number, containerThere: boolean): Promise<string[]> {
  const project = tempProject({ 'config/deploy.yml': 'service: shop\nimage: acme/shop\nservers: [10.0.0.1]\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n' });
  try {
    const config = loadConfig({ cwd: project.dir, configFile: 'config/deploy.yml', env: {} });
    const server = new Server('10.0.0.1', containerThere);
    const session = testSession(config, () => server);
    await swapStep(session.env, { host: '10.0.0.1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt } as never);
    return server.log;
  } finally {
    project.cleanup();
  }
}

test('a retried start that finds its container starts it, and runs no second one', async () => {
  const log = await start(2, true);
  assert.ok(log.some((l) => /docker start shop-web-v2$/.test(l)), log.join('\n'));
  assert.not.ok(log.some((l) => /docker run/.test(l)), 'no second docker run');
  assert.not.ok(log.some((l) => l.startsWith('upload ')), 'the env file the first try wrote is kept');
});

test('a retried start that finds no container runs it, writing the env file whole first', async () => {
  const log = await start(2, false);
  const upload = log.findIndex((l) => l.startsWith('upload '));
  const run = log.findIndex((l) => /docker run .*--name shop-web-v2/.test(l));
  assert.ok(upload >= 0 && run > upload, log.join('\n'));
});

test('a first start does not look for a container: it runs one', async () => {
  const log = await start(1, true);
  assert.ok(log.some((l) => /docker run .*--name shop-web-v2/.test(l)));
  assert.not.ok(log.some((l) => /docker start/.test(l)));
});

test.run();
