// Run records from real deploys on the testbed: listed, shown, replayed offline (same states and
// outcome; an edited record diverges), resumed (or refused, touching nothing), and viewed in
// Chromium; no secret in any of it. With SEXTANT_RECORD_FIXTURES=1 the successful, the
// failed-and-rolled-back and the retried runs are written to test/fixtures/runs/ (redacted), which
// the unit tests replay on every test run.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { leakedSecrets } from '../../unit/secrets/canary.ts';
import { renderInChromium, viewFacts } from '../../unit/engine/runs/chromium.ts';
import { serverShell } from './inspect.ts';
import { BUILD_ARG_CANARY, CANARIES, makeProject, removeApp, runDirs, sextantStreaming } from './project.ts';
import { answer, assertCleanlyOn, events, said, sextantProcess } from './runs-helpers.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const second = servers[1] as string;
const project = makeProject(testbed, { service: 'iruns', servers, withHooks: true });
const host = `${project.service}.test`;
const secrets = Object.values({ ...CANARIES, KAMAL_REGISTRY_PASSWORD: testbed.registry.password, BUILD_ARG_CANARY });
const runsDir = join(project.dir, '.kamal/runs');
const lastRun = () => runDirs(project).at(-1) as string;
const runId = (dir: string) => dir.split('/').pop() as string;
let failedRun = '';

// A recorded run as a fixture: the request, plan and step log, with the project's temporary path
// and long command output trimmed (the unit tests replay the steps; they need no more).
function keepFixture(name: string, dir: string): void {
  if (process.env.SEXTANT_RECORD_FIXTURES !== '1') return;
  const to = join(repo, 'test/fixtures/runs', name);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const file of ['run.json', 'plan.json', 'log.jsonl']) {
    let text = readFileSync(join(dir, file), 'utf8').replaceAll(project.dir, '/project');
    if (file === 'log.jsonl') {
      text = text
        .trimEnd()
        .split('\n')
        .map((line) => {
          const entry = JSON.parse(line) as { commands?: Array<{ output: string }> };
          for (const c of entry.commands ?? []) if (c.output.length > 2000) c.output = `…${c.output.slice(-2000)}`;
          return JSON.stringify(entry);
        })
        .join('\n') + '\n';
    }
    for (const secret of secrets) assert.not.ok(text.includes(secret), `no secret in fixture ${name}/${file}`);
    writeFileSync(join(to, file), text);
  }
}

test.before(async () => {
  await removeApp(project, servers, serverShell);
});

test.after(async () => {
  for (const server of servers) await faults.clearAll(server);
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

test('a successful deploy: runs lists it, runs show prints every host, replay reaches the same states and outcome', async () => {
  const deploy = await sextantProcess(project, ['deploy', '--version', 'r1']);
  assert.is(deploy.code, 0, said(deploy));
  const listed = await sextantProcess(project, ['runs']);
  assert.match(listed.stdout, /^RUN\s+COMMAND\s+VERSION\s+STARTED\s+DURATION\s+OUTCOME\s+HOSTS/m);
  assert.match(listed.stdout, /\bdeploy\s+r1\s+\S+ \S+\s+\S+\s+succeeded\s+3 ok\n/);
  const shown = await sextantProcess(project, ['runs', 'show', 'last']);
  assert.is(shown.code, 0, said(shown));
  for (const server of servers) assert.match(shown.stdout, new RegExp(`\\n${server.replace(/\./g, '\\.')}\\n(\\s+\\+\\S+\\s+.*\\n)*\\s+\\+\\S+\\s+web start\\s+ok`));
  const replay = await sextantProcess(project, ['replay', 'last']);
  assert.is(replay.code, 0, said(replay));
  assert.match(replay.stdout, /states in the same order as recorded\.\nSame outcome: succeeded\./);
  keepFixture('succeeded', lastRun());
});

test('a failed deploy (server 2 unhealthy, rolled back) replays offline to the same states and outcome; an edited record diverges', async () => {
  await faults.failHealthcheck(second);
  try {
    const deploy = await sextantProcess(project, ['deploy', '--version', 'r2']);
    assert.is(deploy.code, 1, said(deploy));
  } finally {
    await faults.restoreHealthcheck(second);
  }
  failedRun = lastRun();
  const shown = await sextantProcess(project, ['runs', 'show', runId(failedRun)]);
  assert.match(shown.stdout, /web health\s+failed/);
  assert.match(shown.stdout, /web rollback\s+ok\s+\S+\s+← rollback/);
  assert.match(shown.stdout, new RegExp(`Failures:\\n\\s+${second.replace(/\./g, '\\.')} web health: `));

  const replay = await sextantProcess(project, ['replay', runId(failedRun)]);
  assert.is(replay.code, 0, said(replay));
  assert.match(replay.stdout, new RegExp(`Same outcome: failed \\(${second.replace(/\./g, '\\.')} web health: `));

  // The same record with the failed health check's result changed to a success.
  const edited = join(runsDir, `${runId(failedRun)}-edited`);
  cpSync(failedRun, edited, { recursive: true });
  const log = join(edited, 'log.jsonl');
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  let changed = 0;
  const rewritten = lines.map((line) => {
    const entry = JSON.parse(line) as { e: string; key?: string; ok?: boolean; error?: unknown };
    if (entry.e !== 'end' || !entry.key?.startsWith(`swap:${second}:web:health@`) || entry.ok) return line;
    changed++;
    return JSON.stringify({ ...entry, ok: true, error: undefined });
  });
  assert.is(changed, 1, 'one failed health check result was edited');
  writeFileSync(log, `${rewritten.join('\n')}\n`);
  const diverged = await sextantProcess(project, ['replay', runId(edited)]);
  assert.is(diverged.code, 1, said(diverged));
  assert.match(diverged.stderr, /Replay of run \S+-edited diverged from its record: /);
  rmSync(edited, { recursive: true, force: true });
  keepFixture('failed-rolled-back', failedRun);
});

test('a deploy whose SSH is reset mid-way retries, succeeds, and replays the same', async () => {
  let faulted = false;
  let restored: Promise<void> = Promise.resolve();
  const result = await sextantStreaming(project, ['deploy', '--version', 'r3'], (event) => {
    if (event.type === 'stage.started' && event.stage === 'network' && !faulted) {
      faulted = true;
      restored = (async () => {
        await faults.stopSshd(second);
        await faults.resetSsh(second);
        await new Promise((r) => setTimeout(r, 4000));
        await faults.clearSshFilters(second);
        await faults.startSshd(second);
      })();
    }
  });
  await restored;
  assert.ok(faulted, 'the fault was injected');
  assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
  const shown = await sextantProcess(project, ['runs', 'show', 'last']);
  assert.match(shown.stdout, /retried/);
  assert.match(shown.stdout, /\(try [2-9]\)\s+ok/);
  const replay = await sextantProcess(project, ['replay', 'last']);
  assert.is(replay.code, 0, said(replay));
  assert.match(replay.stdout, /Same outcome: succeeded\./);
  keepFixture('retried', lastRun());
});

// What a refused resume must leave as it was.
async function untouched(run: string) {
  return {
    log: readFileSync(join(run, 'log.jsonl'), 'utf8'),
    lock: (await serverShell(servers[0] as string, `cat /root/.kamal/lock-${project.service}/details 2>/dev/null | base64 -d; true`)).trim(),
    audit: await serverShell(second, `cat /root/.kamal/${project.service}-audit.log`),
  };
}

test('resume refuses, touching nothing, when the config changed or someone else holds the lock; then it finishes the run', async () => {
  const killed = await sextantProcess(project, ['deploy', '--version', 'r4'], { SEXTANT_TEST_KILL_AT: 'proxy' });
  assert.is(killed.signal, 'SIGKILL', said(killed));
  const run = lastRun();
  const before = await untouched(run);
  assert.match(before.lock, new RegExp(`Message: Automatic deploy lock \\(sextant run ${runId(run)}\\)`), 'the lock names the run');

  const config = join(project.dir, 'config/deploy.yml');
  const original = readFileSync(config, 'utf8');
  writeFileSync(config, original.replace('GREETING: hello', 'GREETING: changed'));
  try {
    const refused = await sextantProcess(project, ['resume', '--format', 'json']);
    assert.is(refused.code, 1, said(refused));
    assert.match(refused.stderr, new RegExp(`ERROR: The config changed since run ${runId(run)} started`));
    assert.equal(events(refused.stdout).filter((e) => e.type === 'command.start'), [], 'no command ran');
  } finally {
    writeFileSync(config, original);
  }
  assert.equal(await untouched(run), before, 'the record, the lock and the servers are as they were');

  // Someone else's lock in place of the run's own. (The project is no git checkout: the lock
  // commands are given the version.)
  const released = await sextantProcess(project, ['lock', 'release', '--version', 'r4']);
  assert.is(released.code, 0, said(released));
  const taken = await sextantProcess(project, ['lock', 'acquire', '-m', 'ops maintenance', '--version', 'r4']);
  assert.is(taken.code, 0, said(taken));
  const held = await untouched(run);
  const refused = await sextantProcess(project, ['resume', runId(run).slice(0, 20), '--format', 'json']);
  assert.is(refused.code, 1, said(refused));
  assert.match(refused.stderr, /the deploy lock is held by someone else/);
  assert.match(refused.stderr, /Message: ops maintenance/);
  const ran = events(refused.stdout).filter((e) => e.type === 'command.start').map((e) => String(e.line));
  assert.ok(ran.length === 1 && /base64 -d/.test(ran[0] as string), `only the lock was read: ${ran.join(' | ')}`);
  assert.equal(await untouched(run), held, 'the record, the lock and the servers are as they were');

  // Free again: the run resumes (taking the lock it had), finishes and gives the lock back.
  const freed = await sextantProcess(project, ['lock', 'release', '--version', 'r4']);
  assert.is(freed.code, 0, said(freed));
  const resumed = await sextantProcess(project, ['deploy', '--resume', 'last']);
  assert.is(resumed.code, 0, said(resumed));
  for (const server of servers) {
    assert.is(await answer(server, host), '200 r4');
    await assertCleanlyOn(server, project, 'r4');
  }
});

test('resume refuses a run that already succeeded, touching nothing', async () => {
  const run = lastRun();
  const before = await untouched(run);
  const refused = await sextantProcess(project, ['resume', 'last', '--format', 'json']);
  assert.is(refused.code, 1, said(refused));
  assert.match(refused.stderr, new RegExp(`ERROR: Run ${runId(run)} already succeeded; there is nothing to resume`));
  assert.equal(events(refused.stdout), []);
  assert.equal(await untouched(run), before);
});

test('no secret in any run file or in the runs view page, which Chromium renders with one lane per host', async () => {
  assert.ok(runDirs(project).length >= 4, 'every run was recorded');
  for (const dir of runDirs(project)) {
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.equal(leakedSecrets(text, secrets), [], `a secret leaked into ${runId(dir)}/${file}`);
    }
  }
  const out = mkdtempSync(join(tmpdir(), 'sextant-runs-view-'));
  const page = join(out, 'failed.html');
  const viewed = await sextantProcess(project, ['runs', 'view', runId(failedRun), '-o', page]);
  assert.is(viewed.code, 0, said(viewed));
  assert.ok(existsSync(page));
  assert.equal(leakedSecrets(readFileSync(page, 'utf8'), secrets), [], 'a secret leaked into the page');
  const facts = viewFacts(renderInChromium(page, { screenshot: join(out, 'failed.png') }));
  assert.equal(facts.lanes, ['local', ...servers], 'one lane per host, and one for the build and hooks');
  for (const stage of ['build', 'pull', 'lock', 'proxy', 'boot', 'unlock']) assert.ok(facts.stages.includes(stage), `stage ${stage} shown (${facts.stages.join(', ')})`);
  assert.ok(facts.failedSteps.some((k) => k.startsWith(`swap:${second}:web:health@`)), `the failed health check is shown: ${facts.failedSteps.join(', ')}`);
  assert.ok(facts.failures.some((f) => f.startsWith(`${second} web health: `)), facts.failures.join(' | '));
  assert.ok(existsSync(join(out, 'failed.png')), 'a screenshot was saved');
});

test.run();
