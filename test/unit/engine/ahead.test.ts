// A stage done ahead (src/engine/steps/ahead.ts, `rideAlong` in src/engine/plan.ts): a host sends its
// next stage's commands in the round trip of the stage before. On each host the commands keep
// Kamal's order (what the conformance tests compare); what a first stage's failure stops, and what
// the next stage does with the outcome left for it, is shown here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeployPlan, HostStage } from '../../../machines/plan.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { deployPlan, rideAlong, type DeployCommand } from '../../../src/engine/plan.ts';
import { runDeployment, type HostStepRequest, type StepHandlers } from '../../../src/engine/run.ts';
import { EngineBus } from '../../../src/engine/events.ts';
import { swapStep, tagLatest } from '../../../src/engine/steps/app.ts';
import { network, prepare, proxyBoot, prune, pull } from '../../../src/engine/steps/server.ts';
import { tempProject } from '../config/temp-project.ts';
import { BatchingServer, HeldServer, ONE, rounds, setup, TWO_ROLES } from './held-server.ts';

// web on three hosts, the proxy on two of them; workers on a fourth host without the proxy.
const FLEET = `service: app
image: a/b
servers:
  web: [h1, h2, h3]
  workers:
    hosts: [h4]
    cmd: bin/jobs
registry: { username: u, password: p }
builder: { arch: amd64 }
`;

function planFor(command: DeployCommand, lockInherited = false): DeployPlan {
  const project = tempProject({ 'config/deploy.yml': FLEET });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    return deployPlan(config, selectHosts(config), { runId: 'r', command, version: 'v2', skipPush: true, lockInherited });
  } finally {
    project.cleanup();
  }
}

function rides(plan: DeployPlan): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [stage, hosts] of Object.entries(plan.stageHosts) as Array<[HostStage, string[]]>) {
    for (const host of hosts) {
      const ride = rideAlong(plan, stage, host);
      if (ride) (found[`${stage} → ${ride}`] ??= []).push(host);
    }
  }
  return found;
}

test('deploy: pull carries prepare, the network carries the proxy (on proxy hosts only), the tag carries the prune', () => {
  assert.equal(rides(planFor('deploy')), {
    'pull → prepare': ['h1', 'h2', 'h3', 'h4'],
    'network → proxy': ['h1', 'h2', 'h3'],
    'tagLatest → prune': ['h1', 'h2', 'h3', 'h4'],
  });
});

test('only next stages of the plan ride: redeploy has no proxy or prune, a nested deploy (KAMAL_LOCK) no prepare, setup pulls under the lock', () => {
  assert.equal(rides(planFor('redeploy')), { 'pull → prepare': ['h1', 'h2', 'h3', 'h4'] });
  assert.equal(rides(planFor('deploy', true)), { 'network → proxy': ['h1', 'h2', 'h3'], 'tagLatest → prune': ['h1', 'h2', 'h3', 'h4'] });
  assert.equal(rides(planFor('setup')), { 'network → proxy': ['h1', 'h2', 'h3'], 'tagLatest → prune': ['h1', 'h2', 'h3', 'h4'] });
  assert.equal(rides(planFor('rollback')), {});
});

test('the engine tells each host step the stage it may carry, and only that', async () => {
  const plan = { ...planFor('deploy'), stages: planFor('deploy').stages.filter((s) => s !== 'preConnect' && s !== 'boot' && s !== 'preDeploy' && s !== 'postDeploy') };
  const asked: string[] = [];
  const handlers: StepHandlers = {
    hostStep: async (input: HostStepRequest) => void asked.push(`${input.stage}@${input.host}${input.ride ? ` +${input.ride}` : ''}`),
    swapStep: async () => ({}),
    build: async () => {},
    hook: async () => {},
    accessories: async () => {},
  };
  const output = await runDeployment({ plan, handlers, bus: new EngineBus() });
  assert.ok(output.ok);
  assert.ok(asked.includes('pull@h1 +prepare') && asked.includes('network@h4') && asked.includes('network@h2 +proxy'), asked.join(', '));
  assert.ok(asked.includes('proxy@h1') && asked.includes('prune@h4') && asked.includes('tagLatest@h3 +prune'), asked.join(', '));
  assert.is(asked.filter((a) => a.includes('+')).length, 4 + 3 + 4);
});

test('tag and prune in one round trip, in Kamal\'s order; the prune step then sends nothing, a retried one sends its own', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), tagLatest(env, 'h1', 1, 'prune'));
    assert.is(error, undefined);
    assert.equal(seen, [['audit Tagging', 'docker tag a/b:v2', 'audit Pruned', 'docker ps -q', 'audit Pruned', 'docker image prune', 'docker image ls']]);
    const sent = server('h1').sent.length;
    assert.equal((await rounds(server('h1'), prune(env, 'h1', 1))).rounds, []);
    assert.is(server('h1').sent.length, sent);
    assert.equal((await rounds(server('h1'), prune(env, 'h1', 2))).rounds, [['audit Pruned', 'docker ps -q', 'audit Pruned', 'docker image prune', 'docker image ls']]);
  } finally {
    cleanup();
  }
});

test('a tag that fails sends nothing of the prune (one step at a time), and leaves nothing for it: the prune stage would send its own', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const failTag = (line: string) => (line.startsWith('docker tag') ? { exitCode: 1, stderr: 'no such image' } : {});
    const { rounds: seen, error } = await rounds(server('h1'), tagLatest(env, 'h1', 1, 'prune'), failTag);
    assert.ok(error instanceof Error && /no such image/.test(error.message), String(error));
    assert.equal(seen, [['audit Tagging'], ['docker tag a/b:v2']]);
    assert.is((await rounds(server('h1'), prune(env, 'h1', 1))).rounds.length, 5);
  } finally {
    cleanup();
  }
});

test('a prune that fails after a good tag: the tag step succeeds; the prune stage fails with it; its retry prunes again', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    let broken = true;
    const failPrune = (line: string) => (broken && line.startsWith('docker image prune') ? { exitCode: 1, stderr: 'daemon busy' } : {});
    const tagged = await rounds(server('h1'), tagLatest(env, 'h1', 1, 'prune'), failPrune);
    assert.is(tagged.error, undefined);
    const first = await rounds(server('h1'), prune(env, 'h1', 1), failPrune);
    assert.equal(first.rounds, []);
    assert.ok(first.error instanceof Error && /daemon busy/.test(first.error.message), String(first.error));
    broken = false;
    const retried = await rounds(server('h1'), prune(env, 'h1', 2), failPrune);
    assert.is(retried.error, undefined);
    assert.is(retried.rounds[0]?.length, 5);
  } finally {
    cleanup();
  }
});

test("the network carries the proxy's login and version probe; the proxy step then only makes its folder and starts the proxy", async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const exists = (line: string) => (line.startsWith('docker network create') ? { exitCode: 1, stderr: 'network with name kamal already exists' } : {});
    const net = await rounds(server('h1'), network(env, 'h1', 1, 'proxy'), exists);
    assert.is(net.error, undefined);
    assert.equal(net.rounds, [['docker network create', 'docker login -u', 'docker inspect kamal-proxy']]);
    const boot = await rounds(server('h1'), proxyBoot(env, 'h1', 1));
    assert.is(boot.error, undefined);
    assert.equal(boot.rounds, [['/usr/bin/env mkdir -p', 'docker container start']]);
  } finally {
    cleanup();
  }
});

test('a too-old kamal-proxy read ahead still stops the proxy stage before anything is started', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    await rounds(server('h1'), network(env, 'h1', 1, 'proxy'), (line) => (line.startsWith('docker inspect kamal-proxy') ? { stdout: 'v0.8.7\n' } : {}));
    const boot = await rounds(server('h1'), proxyBoot(env, 'h1', 1));
    assert.ok(boot.error instanceof Error && /v0\.8\.7 is too old/.test(boot.error.message), String(boot.error));
    assert.equal(boot.rounds, []);
  } finally {
    cleanup();
  }
});

test('a network that really fails: the network stage fails (its login and probe ran, and are harmless)', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const broken = (line: string) => (line.startsWith('docker network create') ? { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' } : {});
    const net = await rounds(server('h1'), network(env, 'h1', 1, 'proxy'), broken);
    assert.ok(net.error instanceof Error && /Cannot connect/.test(net.error.message), String(net.error));
  } finally {
    cleanup();
  }
});

test('the pull carries `mkdir -p .kamal` after its label check; prepare then sends nothing', async () => {
  const { env, server, cleanup } = setup(TWO_ROLES, BatchingServer);
  try {
    const pulled = await rounds(server('h1'), pull(env, 'h1', 1, 'prepare'), (line) => (line.startsWith('docker info') ? { stdout: '\n' } : {}));
    assert.is(pulled.error, undefined);
    assert.equal(pulled.rounds.at(-1), ['audit Pulled', 'docker image rm', 'docker pull a/b:v2', 'docker inspect -f', '/usr/bin/env mkdir -p']);
    assert.equal((await rounds(server('h1'), prepare(env, 'h1', 1))).rounds, []);
  } finally {
    cleanup();
  }
});

test('a pull that fails does not make the folder; prepare makes it itself', async () => {
  const { env, server, cleanup } = setup(ONE, HeldServer);
  try {
    const pulled = await rounds(server('h1'), pull(env, 'h1', 1, 'prepare'), (line) => (line.startsWith('docker pull') ? { exitCode: 1, stderr: 'manifest unknown' } : {}));
    assert.ok(pulled.error instanceof Error && /manifest unknown/.test(pulled.error.message), String(pulled.error));
    assert.not.ok(server('h1').sent.some((line) => line === '/usr/bin/env mkdir -p .kamal'));
    assert.equal((await rounds(server('h1'), prepare(env, 'h1', 1))).rounds, [['/usr/bin/env mkdir -p']]);
  } finally {
    cleanup();
  }
});

const renameClash = (env: Parameters<typeof swapStep>[0], startFollows: boolean) =>
  swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'renameClash', attempt: 1, ...(startFollows ? { startFollows } : {}) });
const start = (env: Parameters<typeof swapStep>[0], attempt = 1) => swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt });
const running = (line: string) => (line.includes('docker ps --latest') ? { stdout: 'v1\n' } : {});

test("a role that starts right after its probes: the start's audit line, env folder, env file, docker run and id read follow them in one round; the start step sends nothing and has the id", async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    let ran = false;
    const reply = (line: string) => {
      if (line.startsWith('docker run')) ran = true;
      if (line.startsWith('docker container ls') && ran) return { stdout: 'fe12ab34cd56\n' };
      return running(line);
    };
    const probes = await rounds(server('h1'), renameClash(env, true), reply);
    assert.is(probes.error, undefined);
    // One round: the clash probe's batch with the start in it, and the running-version probe beside it.
    assert.equal(probes.rounds, [['docker container ls', 'audit Booted', '/usr/bin/env mkdir -p', 'upload', 'docker run --detach', 'docker container ls', '/usr/bin/env sh -c']]);
    const step = start(env);
    const started = await rounds(server('h1'), step, reply);
    assert.equal(started.rounds, []);
    assert.equal(await step, { containerId: 'fe12ab34cd56' });
  } finally {
    cleanup();
  }
});

test('without startFollows (a role waiting at the barrier) the probes go alone, and the start sends its own commands', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    assert.equal((await rounds(server('h1'), renameClash(env, false), running)).rounds, [['docker container ls', '/usr/bin/env sh -c']]);
    const started = await rounds(server('h1'), start(env), running);
    assert.equal(started.rounds, [['audit Booted', '/usr/bin/env mkdir -p', 'upload', 'docker run --detach', 'docker container ls']]);
  } finally {
    cleanup();
  }
});

test('a clash stops the batch before anything of the start: the clash is renamed (the running version was read beside it), and the start step sends its own', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const clash = (line: string) => (line.startsWith('docker container ls --all --filter name=^app-web-v2$') && !server('h1').sent.some((l) => l.startsWith('docker rename')) ? { stdout: 'abc123\n' } : running(line));
    const probes = await rounds(server('h1'), renameClash(env, true), clash);
    assert.is(probes.error, undefined);
    assert.equal(probes.rounds, [['docker container ls', '/usr/bin/env sh -c'], ['audit Renaming', 'docker rename app-web-v2']]);
    assert.not.ok(server('h1').sent.some((l) => l.startsWith('docker run')));
    const started = await rounds(server('h1'), start(env), running);
    assert.ok(started.rounds.flat().includes('docker run --detach'), started.rounds.join(' | '));
  } finally {
    cleanup();
  }
});

test('a docker run that fails in the probes\' round trip: the rename step still succeeds; the start step fails with it; its retry starts afresh', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    let broken = true;
    const reply = (line: string) => (broken && line.startsWith('docker run') ? { exitCode: 125, stderr: 'port is already allocated' } : running(line));
    const probes = await rounds(server('h1'), renameClash(env, true), reply);
    assert.is(probes.error, undefined);
    const first = await rounds(server('h1'), start(env), reply);
    assert.equal(first.rounds, []);
    assert.ok(first.error instanceof Error && /already allocated/.test(first.error.message), String(first.error));
    broken = false;
    const retried = await rounds(server('h1'), start(env, 2), reply);
    assert.is(retried.error, undefined);
    assert.ok(retried.rounds.flat().includes('docker run --detach'), retried.rounds.join(' | '));
  } finally {
    cleanup();
  }
});

test("a retried rename step finds the container its first try started (this run's hostname): it is stopped and removed, and the probes and the start go again", async () => {
  const first = setup(ONE, BatchingServer);
  let hostname = '';
  try {
    await rounds(first.server('h1'), renameClash(first.env, true), running);
    hostname = /--hostname (\S+)/.exec(first.server('h1').sent.find((l) => l.startsWith('docker run')) ?? '')?.[1] ?? '';
    assert.match(hostname, /^h1-[0-9a-f]{12}$/);
    const again = swapStep(first.env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'renameClash', attempt: 2, startFollows: true });
    const retried = await rounds(first.server('h1'), again, (line) => (line.startsWith('docker inspect --format') ? { stdout: `${hostname}\n` } : running(line)));
    assert.is(retried.error, undefined);
    assert.equal(retried.rounds.slice(0, 3), [['docker inspect --format'], ['docker container ls'], ['docker container ls']]);
    assert.ok(first.server('h1').sent.some((l) => l.includes('xargs docker stop')) && first.server('h1').sent.some((l) => l.includes('xargs docker container rm')));
    assert.ok(retried.rounds.at(-1)?.includes('docker run --detach') && retried.rounds.at(-1)?.includes('/usr/bin/env sh -c'), retried.rounds.join(' | '));
    assert.equal(await again, { oldVersion: 'v1' });
  } finally {
    first.cleanup();
  }
});

test('a retried rename step leaves a container another run started (another hostname): it is a clash, renamed as Kamal does', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const clash = (line: string) => {
      if (line.startsWith('docker inspect --format')) return { stdout: 'h1-0123456789ab\n' };
      if (line.startsWith('docker container ls --all --filter name=^app-web-v2$') && !server('h1').sent.some((l) => l.startsWith('docker rename'))) return { stdout: 'abc123\n' };
      return running(line);
    };
    const step = swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'renameClash', attempt: 2, startFollows: true });
    const { rounds: seen, error } = await rounds(server('h1'), step, clash);
    assert.is(error, undefined);
    assert.equal(seen, [['docker inspect --format'], ['docker container ls', '/usr/bin/env sh -c'], ['audit Renaming', 'docker rename app-web-v2']]);
    assert.not.ok(server('h1').sent.some((l) => l.includes('xargs docker container rm')));
  } finally {
    cleanup();
  }
});

test.run();
