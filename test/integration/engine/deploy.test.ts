// Real deploys to the testbed: v1, v2 under load, rollback under load; what is left on the servers
// is compared with what Kamal 2.6.0 leaves; secrets never leak.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { assertAuditedDeploy, assertDeployed, auditLog } from './kamal-state.ts';
import { startLoad } from './load.ts';
import { BUILD_ARG_CANARY, CANARIES, makeProject, removeApp, runDirs, sextant, type CliResult } from './project.ts';
import { leakedSecrets } from '../../unit/secrets/canary.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const registry = testbed.registry.host;
const project = makeProject(testbed, { service: 'itest', servers, withHooks: true });
const limited = makeProject(testbed, { service: 'ilimit', servers, bootLimit: 1, withHooks: true });
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

// The load spanned the swap: every server answered with the old version and then the new one.
function assertSwappedUnderLoad(bodies: Map<string, number>, from: string, to: string) {
  for (const server of servers) {
    assert.ok(bodies.has(`${server} ${from}`), `${server} answered ${from} while the load ran: ${[...bodies.keys()].join(', ')}`);
    assert.ok(bodies.has(`${server} ${to}`), `${server} answered ${to} while the load ran: ${[...bodies.keys()].join(', ')}`);
  }
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

test('deploy v1 with boot.limit 1: one group after the other, same end state', async () => {
  // -v also puts every command's output in stdout, which the secrets test below greps.
  const result = await deploy(limited, ['deploy', '--version', 'v1', '-v']);
  // The build argument was passed to the build, shown redacted (the secrets test greps its value).
  assert.match(result.stdout, /--build-arg BUILD_CANARY=\[REDACTED\]/);
  for (const server of servers) await assertDeployed(server, limited, 'v1', registry);
  const [first, second] = servers as [string, string];
  const hooks = readFileSync(limited.hookLog, 'utf8').trim().split('\n').map((l) => l.split(' version=')[0]);
  assert.equal(hooks, [
    `pre-connect lock=false hosts=${first},${second}`,
    `pre-deploy lock=true hosts=${first},${second}`,
    `pre-app-boot lock=true hosts=${first}`,
    `post-app-boot lock=true hosts=${first}`,
    `pre-app-boot lock=true hosts=${second}`,
    `post-app-boot lock=true hosts=${second}`,
    `post-deploy lock=false hosts=${first},${second}`,
  ]);
  // The second group's first container was created after the first group's last one was running.
  const firstDone = Date.parse((await serverShell(first, `docker inspect --format '{{.State.StartedAt}}' ilimit-workers-v1`)).trim());
  const secondStart = Date.parse((await serverShell(second, `docker inspect --format '{{.Created}}' ilimit-web-v1`)).trim());
  assert.ok(secondStart > firstDone, `group 2 started ${secondStart - firstDone} ms after group 1 finished`);
  assert.match(result.stdout, /ilimit-web-v1/);
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
  assertSwappedUnderLoad(load.bodies, 'v1', 'v2');
});

test('rollback v1 under load: no failed request, v1 answers again', async () => {
  const load = await underLoad(() => deploy(project, ['rollback', 'v1']));
  assert.ok(load.total >= 40, `load ran (${load.total} requests)`);
  assertSwappedUnderLoad(load.bodies, 'v2', 'v1');
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

test('app exec --reuse in the running container (after the hooks test: its pre-connect hook adds a line); --raw prints the output byte for byte, no header, no newline added', async () => {
  // The project is no git checkout, and its pre-connect hook is given KAMAL_VERSION: VERSION names one.
  const plain = await sextant(project, ['app', 'exec', '--reuse', '--primary', '--roles', 'web', 'echo -n raw-output'], { VERSION: 'v1' });
  assert.is(plain.code, 0, plain.stdout + plain.stderr);
  assert.match(plain.stdout, `App Host: ${servers[0]}`);
  assert.match(plain.stdout, 'raw-output');
  const raw = await sextant(project, ['app', 'exec', '--reuse', '--primary', '--roles', 'web', '--raw', 'echo -n raw-output'], { VERSION: 'v1' });
  assert.is(raw.code, 0, raw.stdout + raw.stderr);
  assert.is(raw.stdout, 'raw-output');
});

test('no secret or build-argument value in stdout, stderr, events, snapshots, plans, audit logs or hook output', async () => {
  const secrets = [...Object.values({ ...CANARIES, KAMAL_REGISTRY_PASSWORD: testbed.registry.password }), BUILD_ARG_CANARY];
  const places: Array<[string, string]> = outputs.flatMap((o, i) => [[`stdout #${i}`, o.stdout], [`stderr #${i}`, o.stderr]] as Array<[string, string]>);
  for (const dir of [...runDirs(project), ...runDirs(limited)]) {
    const snapshotParts = readdirSync(dir).filter((f) => /^snapshot\..+\.json$/.test(f));
    for (const file of ['events.jsonl', 'snapshot.json', ...snapshotParts, 'plan.json']) places.push([join(dir, file), readFileSync(join(dir, file), 'utf8')]);
  }
  for (const p of [project, limited]) places.push([`${p.service} hook log`, readFileSync(p.hookLog, 'utf8')]);
  for (const server of servers) {
    for (const p of [project, limited]) places.push([`${server} ${p.service} audit log`, await auditLog(server, p)]);
  }
  assert.ok(runDirs(project).length >= 3, 'each run was recorded');
  // The hooks did get the secret (pre-deploy and post-deploy have the secrets), and it was redacted.
  const hookOutput = places.filter(([, text]) => text.includes('hook saw [REDACTED]'));
  assert.ok(hookOutput.length > 0, "the hooks' output was captured, with the secret redacted");
  for (const [where, text] of places) {
    for (const secret of secrets) assert.not.ok(text.includes(secret), `a secret leaked into ${where}`);
    assert.equal(leakedSecrets(text, secrets), [], `a secret leaked into ${where} (plain or base64)`);
  }
});

test.run();
