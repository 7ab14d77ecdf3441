// A real deploy to the testbed, watched through `--format json`: the stage events are exactly the
// plan's stages in order (boot included, no end state among them), and each host's stage events
// are exactly its share of the plan, each started and then finished.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostStages, type DeployPlan, type Stage } from '../../../machines/plan.ts';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { makeProject, removeApp, runDirs, type CliResult, type Project } from './project.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const project = makeProject(testbed, { service: 'istages', servers, bootLimit: 1, withHooks: true });
const repo = new URL('../../../', import.meta.url).pathname;

type Event = { type: string; [key: string]: unknown };

// The CLI with `--format json`, every event line parsed.
function sextantJson(p: Project, args: string[]): Promise<CliResult & { events: Event[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin/sextant.js'), ...args, '--format', 'json'], {
      cwd: p.dir,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const events = stdout.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Event];
        } catch {
          return [];
        }
      });
      resolve({ code: code ?? 1, stdout, stderr, events });
    });
  });
}

function hostShare(plan: DeployPlan, host: string): string[] {
  return plan.stages.filter((stage: Stage) =>
    stage === 'boot'
      ? plan.bootGroups.some((group) => group.includes(host))
      : (hostStages as readonly string[]).includes(stage) && (plan.stageHosts[stage as (typeof hostStages)[number]] ?? []).includes(host),
  );
}

test.before(async () => {
  await removeApp(project, servers, serverShell);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

for (const [name, args] of [['deploy', ['deploy', '--version', 'v1']], ['redeploy', ['redeploy', '--version', 'v1', '-P']]] as const) {
  test(`${name}: --format json stage events are the plan's stages in order, boot included; each host's are its share`, async () => {
    const result = await sextantJson(project, [...args]);
    assert.is(result.code, 0, result.stdout.slice(-3000) + result.stderr);
    const plan = JSON.parse(readFileSync(join(runDirs(project).at(-1) as string, 'plan.json'), 'utf8')) as DeployPlan;
    assert.ok(plan.stages.includes('boot'));

    const stages = result.events.filter((e) => e.type === 'stage.started').map((e) => e.stage);
    assert.equal(stages, plan.stages, 'stage.started: exactly the plan');
    const finished = result.events.filter((e) => e.type === 'stage.finished').map((e) => `${e.stage} ${e.ok}`);
    assert.equal(finished, plan.stages.map((stage) => `${stage} true`), 'stage.finished: each stage, ok');
    for (const host of servers) {
      const started = result.events.filter((e) => e.type === 'host.stage.started' && e.host === host).map((e) => e.stage);
      assert.equal(started, hostShare(plan, host), `${host}: its share of the plan`);
      const done = result.events.filter((e) => e.type === 'host.stage.finished' && e.host === host && e.ok).map((e) => e.stage);
      assert.equal(done, started, `${host}: each finished`);
    }
    assert.equal(result.events.filter((e) => e.type === 'lock.acquired' || e.type === 'lock.released').map((e) => e.type), ['lock.acquired', 'lock.released']);
    assert.equal(result.events.filter((e) => e.type === 'barrier.opened').length, 1, 'the barrier opened once');
  });
}

test.run();
