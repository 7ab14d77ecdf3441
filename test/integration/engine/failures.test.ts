// Deploys that meet trouble on real servers: an unhealthy new version on one server, a transient
// SSH outage mid-deploy, and a second deploy racing for the lock.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { containers, serverShell } from './inspect.ts';
import { assertDeployed, auditLog } from './kamal-state.ts';
import { makeProject, removeApp, sextant, sextantStreaming } from './project.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const [healthy, troubled] = servers as [string, string];
const registry = testbed.registry.host;
const project = makeProject(testbed, { service: 'ifail', servers });

test.before(async () => {
  await removeApp(project, servers, serverShell);
  const first = await sextant(project, ['deploy', '--version', 'v2']);
  assert.is(first.code, 0, first.stdout + first.stderr);
});

test.after(async () => {
  for (const server of servers) await faults.clearAll(server);
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

test('an unhealthy v3 on one server: it keeps serving v2, its other roles do not start, the run fails and the lock is released', async () => {
  await faults.failHealthcheck(troubled);
  try {
    const result = await sextant(project, ['deploy', '--version', 'v3']);
    assert.ok(result.code !== 0, 'the deploy fails');
    assert.match(result.stdout + result.stderr, /health/i);

    // The troubled server still runs v2 behind the proxy; v3 there is stopped, workers v3 never ran.
    await assertDeployed(troubled, project, 'v2', registry, ['web']);
    const there = await containers(troubled, project.service);
    assert.is(there.find((c) => c.name === 'ifail-web-v3')?.state, 'exited');
    assert.not.ok(there.some((c) => c.name === 'ifail-workers-v3'), 'workers v3 did not start on the troubled server');
    assert.is((await serverShell(troubled, `wget -q -O - --header 'Host: ifail.test' http://127.0.0.1/ 2>&1 || true`)).trim(), 'v2');

    // The healthy server moved to v3.
    assert.ok((await containers(healthy, project.service)).some((c) => c.name === 'ifail-web-v3' && c.state === 'running'));

    assert.is((await serverShell(healthy, 'test -e /root/.kamal/lock-ifail && echo locked || echo free')).trim(), 'free', 'lock released');
    assert.match(await auditLog(troubled, project), /\[web\] Failed to boot app version v3, kept version v2/);
  } finally {
    await faults.restoreHealthcheck(troubled);
  }
});

test('sshd stopped and connections reset for a few seconds mid-deploy: the steps are retried and the deploy succeeds', async () => {
  const retries: Array<{ host: string; step: string; attempt: number }> = [];
  let faulted = false;
  let restored: Promise<void> = Promise.resolve();
  const result = await sextantStreaming(project, ['deploy', '--version', 'v4'], (event) => {
    if (event.type === 'retry') retries.push(event as never);
    if (event.type === 'stage.started' && event.stage === 'network' && !faulted) {
      faulted = true;
      restored = (async () => {
        await faults.stopSshd(troubled);
        await faults.resetSsh(troubled);
        await new Promise((r) => setTimeout(r, 4000));
        await faults.clearSshFilters(troubled);
        await faults.startSshd(troubled);
      })();
    }
  });
  await restored;
  assert.ok(faulted, 'the fault was injected');
  assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  assert.ok(retries.some((r) => r.host === troubled), `the events show retries on ${troubled}: ${JSON.stringify(retries)}`);
  for (const server of servers) await assertDeployed(server, project, 'v4', registry);
});

test('a second deploy while one holds the lock fails at once, saying who holds it: one lock attempt, no retry, nothing after the lock', async () => {
  // The first deploy's pre-deploy hook (run while it holds the lock) waits until the test lets it go,
  // so the lock is held for exactly as long as the second deploy needs, however long that is.
  const hook = join(project.dir, '.kamal/hooks/pre-deploy');
  const release = join(project.dir, '.kamal/release-first-deploy');
  rmSync(release, { force: true });
  writeFileSync(hook, `#!/bin/sh\nwhile [ ! -e '${release}' ]; do sleep 0.1; done\n`);
  chmodSync(hook, 0o755);
  let first: ReturnType<typeof sextantStreaming> | undefined;
  try {
    // Both versions are in the registry already (-P pulls, builds nothing).
    let lockHeld!: () => void;
    const locked = new Promise<void>((resolve) => (lockHeld = resolve));
    first = sextantStreaming(project, ['deploy', '--version', 'v4', '-P'], (event) => {
      if (event.type === 'hook' && event.name === 'pre-deploy') lockHeld();
    });
    await Promise.race([locked, first.then((r) => assert.unreachable(`the first deploy ended before taking the lock: ${r.stdout.slice(-2000)}${r.stderr}`))]);

    const events: Array<{ type: string; [k: string]: unknown }> = [];
    const second = await sextantStreaming(project, ['deploy', '--version', 'v2', '-P'], (event) => events.push(event));
    assert.ok(second.code !== 0);
    const said = second.stdout + second.stderr;
    assert.match(said, 'Deploy lock found');
    assert.match(said, /Locked by: .+ at \d{4}-/);
    assert.match(said, 'Version: v4');
    // Why it is fast: one attempt at the lock, no retry, and nothing of the deploy after it.
    const lockAttempts = events.filter((e) => e.type === 'command.start' && /\bmkdir \S*lock-ifail\b/.test(String(e.line)));
    assert.is(lockAttempts.length, 1, `one lock attempt: ${JSON.stringify(lockAttempts)}`);
    assert.equal(events.filter((e) => e.type === 'retry'), [], 'no retry');
    const stages = events.filter((e) => e.type === 'stage.started').map((e) => e.stage);
    for (const after of ['preDeploy', 'network', 'proxy', 'boot']) assert.not.ok(stages.includes(after), `stage ${after} did not start (stages: ${stages.join(', ')})`);
  } finally {
    writeFileSync(release, '');
    await first;
    writeFileSync(hook, '#!/bin/sh\ntrue\n');
    rmSync(release, { force: true });
  }
  const firstResult = await first;
  assert.is(firstResult.code, 0, firstResult.stdout + firstResult.stderr);
});

test.run();
