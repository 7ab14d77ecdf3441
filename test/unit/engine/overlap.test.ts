// Commands sent without waiting for the one before (src/engine/steps/overlap.ts, and the probes a
// step sends together). A server that answers nothing until told shows, round by round, which
// commands were in flight at once. Each test says why its overlap is safe; all of them keep
// Kamal's per-host order of sending (the conformance tests compare it against Kamal's record).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stopStaleContainers, swapStep, tagLatest } from '../../../src/engine/steps/app.ts';
import { proxyBoot, prune, pull } from '../../../src/engine/steps/server.ts';
import type { StepEnv } from '../../../src/engine/context.ts';
import { BatchingServer, HeldServer, ONE, rounds, setup, short, TWO_ROLES, type Reply } from './held-server.ts';

test('tag latest: the audit line, then the tag, in one sequence (one round where sequences go at once)', async () => {
  for (const [Server, expected] of [
    [HeldServer, [['audit Tagging'], ['docker tag a/b:v2']]],
    [BatchingServer, [['audit Tagging', 'docker tag a/b:v2']]],
  ] as const) {
    const { env, server, cleanup } = setup(ONE, Server);
    try {
      const { rounds: seen, error } = await rounds(server('h1'), tagLatest(env, 'h1'));
      assert.is(error, undefined);
      assert.equal(seen, expected);
    } finally {
      cleanup();
    }
  }
});

test('an audit line that fails fails its step, and what follows it is not sent', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), tagLatest(env, 'h1'), (line) => (line.includes('-audit.log') ? { exitCode: 1, stderr: 'disk full' } : {}));
    assert.equal(seen, [['audit Tagging']]);
    assert.ok(error instanceof Error && /disk full/.test(error.message), String(error));
  } finally {
    cleanup();
  }
});

test("prune, one step at a time: each audit line before its prune, containers before images, as Kamal sends them", async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), prune(env, 'h1'));
    assert.is(error, undefined);
    assert.equal(seen, [['audit Pruned'], ['docker ps -q'], ['audit Pruned'], ['docker image prune'], ['docker image ls']]);
    assert.ok(server('h1').sent[0]?.includes('Pruned containers') && server('h1').sent[2]?.includes('Pruned images'));
  } finally {
    cleanup();
  }
});

test('prune over a transport that sends sequences at once: both audit lines and the three prunes in one round, in the same order', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), prune(env, 'h1'));
    assert.is(error, undefined);
    assert.equal(seen, [['audit Pruned', 'docker ps -q', 'audit Pruned', 'docker image prune', 'docker image ls']]);
    assert.ok(server('h1').sent[2]?.includes('Pruned images'));
  } finally {
    cleanup();
  }
});

test('prune sent at once: a failed container prune fails the step', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const { error } = await rounds(server('h1'), prune(env, 'h1'), (line) => (line.startsWith('docker ps -q') ? { exitCode: 1, stderr: 'daemon gone' } : {}));
    assert.ok(error instanceof Error && /daemon gone/.test(error.message), String(error));
  } finally {
    cleanup();
  }
});

test('pull: the login and the mirror probe (docker info only reads) go out together; the audit line overlaps the image removal; pull and the label check wait their turn', async () => {
  const { env, server, cleanup } = setup(TWO_ROLES);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), pull(env, 'h1'), (line) => (line.startsWith('docker info') ? { stdout: '\n' } : {}));
    assert.is(error, undefined);
    assert.equal(seen[0]?.map((l) => l.split(' ').slice(0, 2).join(' ')), ['docker login', 'docker info']);
    assert.equal(seen.slice(1), [
      ['audit Pulled', 'docker image rm'],
      ['docker pull a/b:v2'],
      ['docker inspect -f'],
    ]);
  } finally {
    cleanup();
  }
});

test('proxy boot: the version probe (it only reads the container) goes out with the login; the start still waits for both, so a too-old proxy is never started', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { rounds: seen } = await rounds(server('h1'), proxyBoot(env, 'h1'));
    assert.equal(seen.length, 3);
    assert.equal(seen[0]?.map((l) => l.split(' ')[0] + ' ' + l.split(' ')[1]), ['docker login', 'docker inspect']);
    assert.equal(seen[1], ['/usr/bin/env mkdir -p']);
    assert.ok(seen[2]?.[0]?.startsWith('docker container start'));
  } finally {
    cleanup();
  }
});

test('stale containers: per role, the version list and the current version (both only read) go out together; roles one after the other, so stops keep their place', async () => {
  const { env, server, cleanup } = setup(TWO_ROLES);
  try {
    const { rounds: seen } = await rounds(server('h1'), stopStaleContainers(env, 'h1'));
    assert.equal(seen.length, 2);
    for (const round of seen) assert.equal(round.length, 2);
    assert.ok(server('h1').sent[0]?.includes('role=web') && server('h1').sent[2]?.includes('role=workers'), 'the primary role first');
  } finally {
    cleanup();
  }
});

test("a role start, one step at a time: the audit line overlaps the env folder; the env file, docker run and the read of the id follow one another, in Kamal's order", async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 }));
    assert.is(error, undefined);
    assert.equal(seen, [['audit Booted', '/usr/bin/env mkdir -p'], ['upload'], ['docker run --detach'], ['docker container ls']]);
  } finally {
    cleanup();
  }
});

test('a role start over a transport that sends sequences at once: the env folder, the env file, docker run and the read of the id in one round with the audit line', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const { rounds: seen, error } = await rounds(server('h1'), swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 }));
    assert.is(error, undefined);
    assert.equal(seen, [['audit Booted', '/usr/bin/env mkdir -p', 'upload', 'docker run --detach', 'docker container ls']]);
    assert.equal(server('h1').sent.map(short), ['audit Booted', '/usr/bin/env mkdir -p', 'upload', 'docker run --detach', 'docker container ls'], "sent in Kamal's order");
  } finally {
    cleanup();
  }
});

test('a role start whose env folder cannot be made fails with the mkdir, and neither writes the env file nor runs anything', async () => {
  for (const Server of [HeldServer, BatchingServer]) {
    const { env, server, cleanup } = setup(ONE, Server);
    try {
      const { error } = await rounds(
        server('h1'),
        swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 }),
        (line) => (line.includes('mkdir -p .kamal/apps') ? { exitCode: 1, stderr: 'read-only file system' } : {}),
      );
      assert.ok(error instanceof Error && /read-only/.test(error.message), String(error));
      if (Server === HeldServer) assert.not.ok(server('h1').sent.some((l) => l.startsWith('UPLOAD') || l.startsWith('docker run')), 'nothing after the mkdir');
    } finally {
      cleanup();
    }
  }
});

test('a role start whose env file cannot be written runs nothing', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { error } = await rounds(
      server('h1'),
      swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 }),
      (line) => (line.startsWith('UPLOAD') ? { exitCode: 1, stderr: 'No space left on device' } : {}),
    );
    assert.ok(error instanceof Error && /No space left/.test(error.message), String(error));
    assert.not.ok(server('h1').sent.some((l) => l.startsWith('docker run')), 'no docker run');
  } finally {
    cleanup();
  }
});

const renameClash = (env: StepEnv) => swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'renameClash', attempt: 1 });
const clashReply =
  (running: string): Reply =>
  (line) => {
    if (line.startsWith('docker container ls --all --filter name=^app-web-v2$')) return { stdout: 'abc123\n' };
    if (line.includes('docker ps --latest')) return { stdout: `${running}\n` };
    return {};
  };

test('a role swap begins with two probes that only read — is there a container of this version, which version runs — sent together on a deploy', async () => {
  for (const Server of [HeldServer, BatchingServer]) {
    const { env, server, cleanup } = setup(ONE, Server);
    try {
      const step = renameClash(env);
      const { rounds: seen, error } = await rounds(server('h1'), step, (line) => (line.includes('docker ps --latest') ? { stdout: 'v1\n' } : {}));
      assert.is(error, undefined);
      assert.equal(seen, [['docker container ls', '/usr/bin/env sh -c']]);
      assert.equal(await step, { oldVersion: 'v1' });
    } finally {
      cleanup();
    }
  }
});

test('a redeploy of the running version: the clash is renamed, and the version to stop is the renamed one, as Kamal reads it after the rename', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const step = renameClash(env);
    const { rounds: seen, error } = await rounds(server('h1'), step, clashReply('v2'));
    assert.is(error, undefined);
    assert.equal(seen, [['docker container ls', '/usr/bin/env sh -c'], ['audit Renaming', 'docker rename app-web-v2']]);
    const renamed = /docker rename app-web-v2 app-web-(\S+)/.exec(server('h1').sent.find((l) => l.startsWith('docker rename')) ?? '')?.[1];
    assert.match(renamed ?? '', /^v2_replaced_[0-9a-f]{16}$/);
    assert.equal(await step, { oldVersion: renamed });
  } finally {
    cleanup();
  }
});

test("a rollback expects the clash (the old version's container): the probes go in Kamal's order, the running version read after the rename", async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const step = renameClash({ ...env, command: 'rollback' });
    const { rounds: seen, error } = await rounds(server('h1'), step, clashReply('v3'));
    assert.is(error, undefined);
    assert.equal(seen, [['docker container ls'], ['audit Renaming', 'docker rename app-web-v2'], ['/usr/bin/env sh -c']]);
    assert.equal(await step, { oldVersion: 'v3' });
  } finally {
    cleanup();
  }
});

test('a clash that is not the running container (stopped, say): renamed, and the running version is kept as read', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const step = renameClash(env);
    const { error } = await rounds(server('h1'), step, clashReply('v1'));
    assert.is(error, undefined);
    assert.ok(server('h1').sent.some((l) => l.startsWith('docker rename app-web-v2 app-web-v2_replaced_')));
    assert.equal(await step, { oldVersion: 'v1' });
  } finally {
    cleanup();
  }
});

test("a proxy role's start over a transport that sends sequences at once: docker run and the read of the new container's id (what kamal-proxy is given) in one round; the health step uses that id and does not ask again", async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const start = swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 });
    const { rounds: seen, error } = await rounds(server('h1'), start, (line) => (line.startsWith('docker container ls') ? { stdout: 'fe12ab34cd56\n' } : {}));
    assert.is(error, undefined);
    assert.equal(seen.at(-1)?.slice(-2), ['docker run --detach', 'docker container ls']);
    const { containerId } = await start;
    assert.is(containerId, 'fe12ab34cd56');
    const health = rounds(server('h1'), swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'health', containerId, attempt: 1 }));
    const { rounds: healthRounds, error: healthError } = await health;
    assert.is(healthError, undefined);
    assert.equal(healthRounds, [['docker exec kamal-proxy']]);
    assert.ok(server('h1').sent.at(-1)?.includes('--target="fe12ab34cd56:80"'), server('h1').sent.at(-1));
  } finally {
    cleanup();
  }
});

test('a failed docker run: the id is not read (the rest of the sequence is skipped) and the start fails', async () => {
  const { env, server, cleanup } = setup(ONE, BatchingServer);
  try {
    const start = swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'start', attempt: 1 });
    const { error } = await rounds(server('h1'), start, (line) => (line.startsWith('docker run') ? { exitCode: 125, stderr: 'Conflict. The container name is already in use' } : {}));
    assert.ok(error instanceof Error && /Conflict/.test(error.message), String(error));
  } finally {
    cleanup();
  }
});

test('a health step without the id (a retried or resumed start) reads it first, as before', async () => {
  const { env, server, cleanup } = setup(ONE);
  try {
    const { rounds: seen, error } = await rounds(
      server('h1'),
      swapStep(env, { host: 'h1', role: 'web', runsProxy: true, version: 'v2', step: 'health', attempt: 1 }),
      (line) => (line.startsWith('docker container ls') ? { stdout: 'fe12ab34cd56\n' } : {}),
    );
    assert.is(error, undefined);
    assert.equal(seen, [['docker container ls'], ['docker exec kamal-proxy']]);
  } finally {
    cleanup();
  }
});

test('a role without the proxy: docker run alone (its readiness is polled by state, not by id)', async () => {
  const { env, server, cleanup } = setup(TWO_ROLES, BatchingServer);
  try {
    const start = swapStep(env, { host: 'h1', role: 'workers', runsProxy: false, version: 'v2', step: 'start', attempt: 1 });
    const { rounds: seen, error } = await rounds(server('h1'), start);
    assert.is(error, undefined);
    assert.equal(seen, [['audit Booted', '/usr/bin/env mkdir -p', 'upload', 'docker run --detach']]);
    assert.equal(await start, { containerId: undefined });
  } finally {
    cleanup();
  }
});

test.run();
