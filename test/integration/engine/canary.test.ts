// Canary deploys through kamal-proxy's rollout on 3 testbed servers (docs/canary.md), under a load
// that sends every request with its own `kamal-rollout` cookie: the share of answers from the new
// version, then --promote; a second canary with an allowlist, then --abort; 0 failed requests.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goesToRollout } from '../../../src/commands/proxy-rollout.ts';
import { ensureTestbed } from '../../testbed/index.ts';
import { containersOf, lockState } from '../faults/helpers.ts';
import { containers, serverShell } from './inspect.ts';
import { makeProject, removeApp, sextant, sextantProcess, sextantStreaming } from './project.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary] = servers as [string];
const project = makeProject(testbed, { service: 'canary', servers });
const hostHeader = `${project.service}.test`;

// One GET through a server's kamal-proxy; the body is the version that answered.
function get(server: string, cookie?: string): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Host: hostHeader, ...(cookie === undefined ? {} : { Cookie: `kamal-rollout=${cookie}` }) };
    const req = http.get({ host: server, port: 80, path: '/', headers, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? { ok: true, body: body.trim() } : { ok: false, error: `${server}: HTTP ${res.statusCode} ${body.trim().slice(0, 80)}` }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: `${server}: ${e.message}` }));
  });
}

// A background load, 20 requests/s per server, each with a fresh cookie value (so some go to the
// canary while one is live) or none; it records every failed request.
function backgroundLoad(): { stop(): Promise<{ total: number; failures: string[] }> } {
  let total = 0;
  const failures: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    for (const server of servers) {
      const n = total++;
      const done = get(server, n % 4 === 0 ? undefined : `load-${n}`).then((r) => {
        if (!r.ok) failures.push(r.error);
      });
      inFlight.add(done);
      void done.then(() => inFlight.delete(done));
    }
  }, 50);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return { total, failures };
    },
  };
}

// `count` requests spread over the servers, cookie values `${prefix}${i}`, 10 at a time.
async function sample(count: number, cookie: (i: number) => string | undefined): Promise<Array<{ cookie?: string; body: string }>> {
  const answers: Array<{ cookie?: string; body: string }> = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async (_, k) => {
        const i = start + k;
        const value = cookie(i);
        const r = await get(servers[i % servers.length] as string, value);
        assert.ok(r.ok, r.ok ? '' : r.error);
        return { ...(value === undefined ? {} : { cookie: value }), body: r.ok ? r.body : '' };
      }),
    );
    answers.push(...batch);
  }
  return answers;
}

// Cookie values like session ids. (Sequential ones such as user-1, user-2, … cluster under
// FNV-1a: 450 of them put 15.6 % on the canary's side at 10 %.)
const sessionId = (i: number) => createHash('sha256').update(`visitor-${i}`).digest('hex').slice(0, 20);

const running = async (server: string, version: string, role = 'web') =>
  (await containers(server, project.service)).filter((c) => c.state === 'running' && c.name === `${project.service}-${role}-${version}`).length;

test.before(async () => {
  await removeApp(project, servers, serverShell);
  const first = await sextant(project, ['deploy', '--version', 'v1']);
  assert.is(first.code, 0, first.stdout + first.stderr);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

test('deploy --canary 10%: 10 ± 5 % of 450 cookie values answered by v2 (each as kamal-proxy hashes it), then --promote: every answer v2; 0 failed requests', async () => {
  const load = backgroundLoad();
  try {
    await canaryThenPromote();
  } finally {
    const traffic = await load.stop();
    assert.ok(traffic.total > 100, `load ran (${traffic.total} requests)`);
    assert.equal(traffic.failures, [], 'no failed request');
  }
});

async function canaryThenPromote(): Promise<void> {
  const canary = await sextant(project, ['deploy', '--version', 'v2', '--canary', '10%']);
  assert.is(canary.code, 0, canary.stdout + canary.stderr);
  assert.match(canary.stdout, /Canary v2 is live beside the previous version, for 10% of the kamal-rollout cookie values/);
  assert.is(await lockState(primary, project), 'locked', 'the canary holds the deploy lock');
  for (const server of servers) {
    assert.is(await running(server, 'v1'), 1, `${server}: v1 still runs`);
    assert.is(await running(server, 'v2'), 1, `${server}: the v2 canary runs`);
    assert.is(await running(server, 'v1', 'workers'), 1, `${server}: workers stay on v1 until the promote`);
    assert.is(await running(server, 'v2', 'workers'), 0, `${server}: no v2 worker yet`);
  }

  const status = await sextant(project, ['lock', 'status']);
  assert.match(status.stdout, /Held by the canary of sextant run \S+: `sextant deploy --promote` gives it all the traffic/);
  // Another canary (or deploy) meets the lock and leaves this one as it is.
  const second = await sextant(project, ['deploy', '--version', 'v3', '--canary', '50%']);
  assert.is(second.code, 1, second.stdout + second.stderr);
  assert.match(second.stdout + second.stderr, /Deploy lock found/);
  assert.match(second.stderr, /nothing was changed/);

  const split = { percent: 10, allowlist: [] };
  const answers = await sample(450, sessionId);
  const fromNew = answers.filter((a) => a.body === 'v2').length;
  const share = (100 * fromNew) / answers.length;
  assert.ok(Math.abs(share - 10) <= 5, `share of v2 answers: ${share.toFixed(1)} % (${fromNew} of ${answers.length})`);
  assert.equal(answers.filter((a) => a.body !== (goesToRollout(a.cookie, split) ? 'v2' : 'v1')), [], 'each answer is the version kamal-proxy picks for its cookie');
  const cookieless = await sample(30, () => undefined);
  assert.ok(cookieless.every((a) => a.body === 'v1'), 'requests without the cookie stay on v1');

  const promote = await sextant(project, ['deploy', '--promote']);
  assert.is(promote.code, 0, promote.stdout + promote.stderr);
  assert.is(await lockState(primary, project), 'free');
  const after = await sample(150, (i) => (i % 3 === 0 ? undefined : sessionId(i)));
  assert.equal([...new Set(after.map((a) => a.body))], ['v2'], 'every answer comes from v2');
  for (const server of servers) {
    assert.is(await running(server, 'v1'), 0, `${server}: v1 stopped`);
    assert.is(await running(server, 'v2', 'workers'), 1, `${server}: workers on v2`);
    assert.is(await running(server, 'v1', 'workers'), 0, `${server}: v1 workers stopped`);
  }
}

test('deploy --canary-list beta-1,beta-2: only those cookie values reach v3; --abort: every answer v2 and no v3 container left; 0 failed requests', async () => {
  const load = backgroundLoad();
  try {
    await allowlistThenAbort();
  } finally {
    const traffic = await load.stop();
    assert.ok(traffic.total > 100, `load ran (${traffic.total} requests)`);
    assert.equal(traffic.failures, [], 'no failed request');
  }
  const nothing = await sextant(project, ['deploy', '--promote']);
  assert.is(nothing.code, 1);
  assert.match(nothing.stderr, /no canary is pending \(the deploy lock on .* is free\)/);
});

async function allowlistThenAbort(): Promise<void> {
  const canary = await sextant(project, ['deploy', '--version', 'v3', '--canary-list', 'beta-1,beta-2']);
  assert.is(canary.code, 0, canary.stdout + canary.stderr);
  const listed = await sample(30, (i) => (i % 2 ? 'beta-1' : 'beta-2'));
  assert.ok(listed.every((a) => a.body === 'v3'), `allowlisted values reach v3: ${listed.map((a) => a.body).join(' ')}`);
  const others = await sample(150, (i) => (i % 5 === 0 ? undefined : sessionId(i)));
  assert.ok(others.every((a) => a.body === 'v2'), 'every other value stays on v2');

  const abort = await sextant(project, ['deploy', '--abort']);
  assert.is(abort.code, 0, abort.stdout + abort.stderr);
  assert.is(await lockState(primary, project), 'free');
  const after = await sample(150, (i) => (i % 3 === 0 ? 'beta-1' : i % 3 === 1 ? sessionId(i) : undefined));
  assert.equal([...new Set(after.map((a) => a.body))], ['v2'], 'every answer comes from v2');
  for (const server of servers) assert.equal((await containersOf(server, project, 'v3')).map((c) => c.name), [], `${server}: no v3 container left`);
}

test('--canary-for 3s: the canary is watched, then promoted by itself; 0 failed requests', async () => {
  const load = backgroundLoad();
  try {
    const run = await sextant(project, ['deploy', '--version', 'v4', '--canary', '50%', '--canary-for', '3s']);
    assert.is(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Watching canary v4 for 3s/);
    assert.match(run.stdout, /Promoting canary v4/);
    assert.is(await lockState(primary, project), 'free');
    const after = await sample(60, (i) => (i % 2 ? undefined : sessionId(i)));
    assert.equal([...new Set(after.map((a) => a.body))], ['v4'], 'every answer comes from v4');
    for (const server of servers) assert.is(await running(server, 'v2'), 0, `${server}: v2 stopped`);
  } finally {
    const traffic = await load.stop();
    assert.equal(traffic.failures, [], 'no failed request');
  }
});

test('--canary-for 2m: a canary container that stops during the watch aborts the canary (exit 1, naming it); v4 serves everything, no v5 left', async () => {
  const [, second] = servers as [string, string];
  let stopped: Promise<string> | undefined;
  const run = await sextantStreaming(project, ['deploy', '--version', 'v5', '--canary', '50%', '--canary-for', '2m'], (event) => {
    if (!stopped && event.type === 'log' && String(event.message).startsWith('Watching canary v5')) {
      stopped = serverShell(second, `docker stop ${project.service}-web-v5`);
    }
  });
  assert.ok(stopped, 'the watch started');
  await stopped;
  assert.is(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, new RegExp(`Canary v5 was aborted: ${project.service}-web-v5 on ${second.replace(/\./g, '\\.')} is exited`));
  assert.is(await lockState(primary, project), 'free');
  const after = await sample(60, (i) => (i % 2 ? undefined : sessionId(i)));
  assert.equal([...new Set(after.map((a) => a.body))], ['v4'], 'every answer comes from v4');
  for (const server of servers) assert.equal((await containersOf(server, project, 'v5')).map((c) => c.name), [], `${server}: no v5 container left`);
});

test('a canary run killed in its boot is finished by `sextant resume`; replay reaches the same outcome; the promote follows; 0 failed requests', async () => {
  const [, second] = servers as [string, string];
  const load = backgroundLoad();
  try {
    const killed = await sextantProcess(project, ['deploy', '--version', 'v6', '--canary', '20%'], { SEXTANT_TEST_KILL_AT: `boot:${second}:health` });
    assert.is(killed.signal, 'SIGKILL', killed.stdout + killed.stderr);
    assert.is(await lockState(primary, project), 'locked');
    const resumed = await sextant(project, ['resume']);
    assert.is(resumed.code, 0, resumed.stdout + resumed.stderr);
    for (const server of servers) assert.is(await running(server, 'v6'), 1, `${server}: the v6 canary runs`);
    assert.is(await lockState(primary, project), 'locked', 'the resumed canary still holds the lock');
    const split = { percent: 20, allowlist: [] };
    const answers = await sample(90, sessionId);
    assert.equal(answers.filter((a) => a.body !== (goesToRollout(a.cookie, split) ? 'v6' : 'v4')), [], 'each answer is the version kamal-proxy picks for its cookie');
    const replayCanary = await sextant(project, ['replay', 'last']);
    assert.is(replayCanary.code, 0, replayCanary.stdout + replayCanary.stderr);
    assert.match(replayCanary.stdout, /Same outcome/);

    const promote = await sextant(project, ['deploy', '--promote']);
    assert.is(promote.code, 0, promote.stdout + promote.stderr);
    const replayPromote = await sextant(project, ['replay', 'last']);
    assert.is(replayPromote.code, 0, replayPromote.stdout + replayPromote.stderr);
    const after = await sample(60, (i) => (i % 2 ? undefined : sessionId(i)));
    assert.equal([...new Set(after.map((a) => a.body))], ['v6'], 'every answer comes from v6');
  } finally {
    const traffic = await load.stop();
    assert.equal(traffic.failures, [], 'no failed request');
  }
});

test.run();
