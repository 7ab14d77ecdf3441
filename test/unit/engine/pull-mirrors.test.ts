// The pull seeds each registry mirror from one host first (Kamal's cli/build.rb `pull`), both in
// deploy's pull stage (through the machines and step handlers) and in `sextant build pull`: they
// run the same step. Fake servers answer `docker info` with a mirror per host and hold the seed's
// `docker pull` until the test lets it go, so the test can look at who pulled while it was held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from '../../../src/commands/command.ts';
import { renderForDisplay } from '../../../src/commands/shell.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { stepHandlers } from '../../../src/engine/handlers.ts';
import { pullImage } from '../../../src/engine/operations/index.ts';
import { deployPlan } from '../../../src/engine/plan.ts';
import { runDeployment } from '../../../src/engine/run.ts';
import type { Session } from '../../../src/engine/session.ts';
import type { ExecOptions, ExecResult, Transport } from '../../../src/remote/transport.ts';
import { tempProject } from '../config/temp-project.ts';
import { testSession } from './test-session.ts';

// Two hosts behind mirror A, one behind mirror B, one with no mirror.
const DEPLOY_YML = `service: shop
image: acme/shop
servers:
  web: [10.0.0.1, 10.0.0.2, 10.0.0.3]
  workers: [10.0.0.4]
registry: { username: deployer, password: not-a-secret }
builder: { arch: amd64 }
`;
const MIRRORS: Record<string, string | undefined> = {
  '10.0.0.1': 'https://mirror-a.example.com',
  '10.0.0.2': 'https://mirror-a.example.com',
  '10.0.0.3': 'https://mirror-b.example.com',
  '10.0.0.4': undefined,
};
const NO_MIRROR = "template: :1:2: executing \"\" at <index .RegistryConfig.Mirrors 0>: error calling index: reflect: slice index out of range\n";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

class MirrorServer implements Transport {
  constructor(
    readonly host: string,
    private readonly log: string[],
    private readonly hold: (host: string, line: string) => Promise<void>,
  ) {}
  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const line = renderForDisplay(command);
    this.log.push(`[${this.host}] ${line}`);
    await this.hold(this.host, line);
    if (!line.startsWith('docker info ')) return { exitCode: 0, stdout: '', stderr: '' };
    const mirror = MIRRORS[this.host];
    const result = mirror ? { exitCode: 0, stdout: `${mirror}\n`, stderr: '' } : { exitCode: 1, stdout: '', stderr: NO_MIRROR };
    if (result.exitCode !== 0 && options.check !== false) throw new Error(`[${this.host}] failed: ${line}`);
    return result;
  }
  async upload(): Promise<void> {}
  async uploadDirectory(): Promise<void> {}
  async close(): Promise<void> {}
}

// Lets every queued callback run: what can happen without the held pull has happened after this.
async function settle(until: () => boolean): Promise<void> {
  for (let round = 0; round < 10_000 && !until(); round++) await new Promise((resolve) => setImmediate(resolve));
  for (let round = 0; round < 50; round++) await new Promise((resolve) => setImmediate(resolve));
}

// Runs `pull` with 10.0.0.1 made mirror A's seed (10.0.0.2 answers its probe only after
// 10.0.0.1 has) and its `docker pull` held; checks who pulled while it was held, then lets it go.
async function seededPull(pull: (session: Session) => Promise<void>): Promise<string[]> {
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML });
  const log: string[] = [];
  const firstProbed = deferred();
  const seedPull = deferred();
  const hold = async (host: string, line: string) => {
    if (line.startsWith('docker info ') && host === '10.0.0.1') firstProbed.resolve();
    if (line.startsWith('docker info ') && host === '10.0.0.2') await firstProbed.promise;
    if (line.startsWith('docker pull ') && host === '10.0.0.1') await seedPull.promise;
  };
  const servers = new Map<string, MirrorServer>();
  const config = loadConfig({ cwd: project.dir, env: {} });
  const session = testSession(config, (host) => servers.get(host) ?? servers.set(host, new MirrorServer(host, log, hold)).get(host)!, { version: () => 'v42' });
  try {
    const running = pull(session);
    const pulled = (host: string) => log.includes(`[${host}] docker pull acme/shop:v42`);
    const validated = (host: string) => log.some((line) => line.startsWith(`[${host}] docker inspect -f`));
    await settle(() => pulled('10.0.0.1') && validated('10.0.0.3') && validated('10.0.0.4') && log.includes(`[10.0.0.2] ${MIRROR_PROBE}`));
    assert.ok(pulled('10.0.0.1'), log.join('\n'));
    assert.ok(validated('10.0.0.3'), 'mirror B has its own seed, which does not wait for mirror A');
    assert.ok(validated('10.0.0.4'), 'a host with no mirror does not wait');
    assert.not.ok(pulled('10.0.0.2'), `10.0.0.2 pulled while mirror A's seed was still pulling:\n${log.join('\n')}`);
    seedPull.resolve();
    await running;
    for (const host of Object.keys(MIRRORS)) assert.ok(validated(host), `${host} never pulled:\n${log.join('\n')}`);
    return log;
  } finally {
    await session.close();
    project.cleanup();
  }
}

const MIRROR_PROBE = "docker info --format '{{index .RegistryConfig.Mirrors 0}}'";

function assertSeedFirst(log: string[]): void {
  const seedDone = log.findIndex((line) => line.startsWith('[10.0.0.1] docker inspect -f'));
  const follower = log.indexOf('[10.0.0.2] docker pull acme/shop:v42');
  assert.ok(seedDone >= 0 && follower > seedDone, log.join('\n'));
  // Each host's own commands are unchanged: login, probe, audit, image rm, pull, check.
  const own = log.filter((line) => line.startsWith('[10.0.0.2] ')).map((line) => line.slice(11).split(' ').slice(0, 2).join(' '));
  assert.equal(own, ['docker login', 'docker info', '/usr/bin/env mkdir', 'docker image', 'docker pull', 'docker inspect']);
}

test("deploy's pull stage lets the first host of a mirror pull before the mirror's other hosts", async () => {
  const log = await seededPull(async (session) => {
    const plan = deployPlan(session.env.config, session.env.selection, { runId: session.runId, command: 'deploy', version: 'v42', skipPush: true, lockInherited: false });
    const output = await runDeployment({ plan: { ...plan, stages: ['pull'] }, handlers: stepHandlers(session.env), bus: session.bus });
    assert.ok(output.ok, JSON.stringify(output.failures));
  });
  assertSeedFirst(log);
});

test('sextant build pull seeds the mirrors through the same step', async () => {
  const log = await seededPull((session) => pullImage(session.env));
  assertSeedFirst(log);
});

test('with one app host there is no mirror probe', async () => {
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML });
  const log: string[] = [];
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    const session = testSession(config, (host) => new MirrorServer(host, log, async () => {}), {
      selection: selectHosts(config, { hosts: ['10.0.0.1'] }),
      version: () => 'v42',
      command: 'build',
    });
    await pullImage(session.env);
    await session.close();
    assert.ok(log.includes('[10.0.0.1] docker pull acme/shop:v42'), log.join('\n'));
    assert.not.ok(log.some((line) => line.includes('docker info')), log.join('\n'));
  } finally {
    project.cleanup();
  }
});

test.run();
