// Real deploys to the testbed: v1, v2 under load, rollback under load; what is left on the servers
// is compared with what Kamal 2.6.0 leaves; secrets never leak.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { assertAuditedDeploy, assertDeployed, auditLog } from './kamal-state.ts';
import { startLoad } from './load.ts';
import { CANARIES, makeProject, removeApp, runDirs, sextant, type CliResult } from './project.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const registry = testbed.registry.host;
const project = makeProject(testbed, { service: 'itest', servers, withHooks: true });
const limited = makeProject(testbed, { service: 'ilimit', servers, bootLimit: 1 });
const outputs: CliResult[] = [];

async function deploy(p = project, args: string[]): Promise<CliResult> {
  const result = await sextant(p, args);
  outputs.push(result);
  assert.is(result.code, 0, `sextant ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result;
}

async function underLoad(work: () => Promise<unknown>) {
  const load = startLoad(servers, { rps: 20, maxSeconds: 120, hostHeader: `${project.service}.test` });
  await work();
  await new Promise((r) => setTimeout(r, 500));
  return load.stop();
}

test.before(async () => {
  await removeApp(project, servers, serverShell);
  await removeApp(limited, servers, serverShell);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  await removeApp(limited, servers, serverShell);
  project.cleanup();
  limited.cleanup();
});

test('deploy v1: containers, labels, network, env files, proxy target, lock, audit and latest tag as Kamal leaves them', async () => {
  await deploy(project, ['deploy', '--version', 'v1']);
  for (const server of servers) {
    await assertDeployed(server, project, 'v1', registry);
    assertAuditedDeploy(await auditLog(server, project), 'v1', registry, project.service);
  }
});

test('deploy v1 with boot.limit 1: one host at a time, same end state', async () => {
  const result = await deploy(limited, ['deploy', '--version', 'v1']);
  for (const server of servers) await assertDeployed(server, limited, 'v1', registry);
  // Two boot groups: each booted on its own, the second after the first.
  const boots = result.stdout.split('\n').filter((l) => /docker run .*--name ilimit-web-v1/.test(l)).map((l) => l.slice(1, l.indexOf(']')));
  assert.equal(boots, servers);
});

test('deploy v2 under load: no failed request, v2 answers everywhere, v1 is stopped', async () => {
  const load = await underLoad(() => deploy(project, ['deploy', '--version', 'v2']));
  assert.ok(load.total >= 40, `load ran (${load.total} requests)`);
  assert.equal(load.failures, [], `${load.failures.length} of ${load.total} requests failed`);
  for (const server of servers) {
    await assertDeployed(server, project, 'v2', registry);
    const v1 = (await serverShell(server, `docker inspect --format '{{.State.Status}}' itest-web-v1 itest-workers-v1`)).trim().split('\n');
    assert.equal(v1, ['exited', 'exited'], `${server}: v1 stopped`);
  }
  const answered = [...load.bodies.keys()].filter((k) => k.endsWith(' v2')).length;
  assert.is(answered, servers.length, 'every server answered v2 during the run');
});

test('rollback v1 under load: no failed request, v1 answers again', async () => {
  const load = await underLoad(() => deploy(project, ['rollback', 'v1']));
  assert.equal(load.failures, [], `${load.failures.length} of ${load.total} requests failed`);
  for (const server of servers) {
    await assertDeployed(server, project, 'v1', registry);
    assert.match(await auditLog(server, project), /\[web\] Renaming container v1 to v1_replaced_[0-9a-f]{16}/);
  }
});

test('hooks run in order with KAMAL_LOCK as Kamal sets it', () => {
  const lines = readFileSync(project.hookLog, 'utf8').trim().split('\n');
  const first = lines.slice(0, 5).map((l) => l.split(' hosts=')[0]);
  assert.equal(first, ['pre-connect lock=false', 'pre-deploy lock=true', 'pre-app-boot lock=true', 'post-app-boot lock=true', 'post-deploy lock=false']);
  assert.ok(lines.every((l) => l.includes(`hosts=${servers.join(',')}`)));
  assert.match(lines[4] as string, /version=v1 runtime=\d+$/);
});

test('no secret value in stdout, stderr, events, snapshots, plans, audit logs or hook output', async () => {
  const secrets = Object.values({ ...CANARIES, KAMAL_REGISTRY_PASSWORD: testbed.registry.password });
  const places: Array<[string, string]> = outputs.flatMap((o, i) => [[`stdout #${i}`, o.stdout], [`stderr #${i}`, o.stderr]] as Array<[string, string]>);
  for (const dir of runDirs(project)) {
    for (const file of ['events.jsonl', 'snapshot.json', 'plan.json']) places.push([join(dir, file), readFileSync(join(dir, file), 'utf8')]);
  }
  for (const server of servers) places.push([`${server} audit log`, await auditLog(server, project)]);
  assert.ok(runDirs(project).length >= 3, 'each run was recorded');
  const hookOutput = places.filter(([, text]) => text.includes('hook saw'));
  assert.ok(hookOutput.length > 0, "the hooks' output was captured");
  for (const [where, text] of places) {
    for (const secret of secrets) assert.not.ok(text.includes(secret), `a secret leaked into ${where}`);
  }
});

test.run();
