// Wall time of a real `sextant deploy -P` (v→v+1, image already in the registry) to N testbed
// servers, as a user runs it (a fresh CLI process each time). Prints one JSON line per run.
import { execFileSync } from 'node:child_process';
import { ensureTestbed } from '../test/testbed/index.ts';
import { serverShell } from '../test/integration/engine/inspect.ts';
import { makeProject, removeApp, sextant } from '../test/integration/engine/project.ts';

const count = Number(process.argv[2] ?? 1);
const runs = Number(process.argv[3] ?? 5);
const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, count).map((s) => s.ip);
const service = `bench${count}`;
const project = makeProject(testbed, { service, servers });
await removeApp(project, servers, serverShell);

const first = await sextant(project, ['deploy', '--version', 'b0']);
if (first.code !== 0) throw new Error(first.stdout + first.stderr);
// Every later version is the same image under a new tag, pushed before the clock starts.
const repo = `${testbed.registry.host}/sextant/${service}`;
for (let i = 1; i <= runs; i++) {
  execFileSync('docker', ['tag', `${repo}:b0`, `${repo}:b${i}`]);
  execFileSync('docker', ['push', '-q', `${repo}:b${i}`], { stdio: 'ignore' });
}
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  const result = await sextant(project, ['deploy', '-P', '--version', `b${i}`]);
  const ms = performance.now() - started;
  if (result.code !== 0) throw new Error(result.stdout + result.stderr);
  console.log(JSON.stringify({ servers: count, run: i, ms: Math.round(ms) }));
}
await removeApp(project, servers, serverShell);
project.cleanup();
