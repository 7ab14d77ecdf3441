// One deploy of N hosts (two roles each) through the real engine — machines, step handlers,
// command builders, the run record (as the CLI runs it: runRecorded) — over in-memory transports that answer like a fresh server.
// Prints one JSON line: { hosts, ms, cpuMs, maxRssMb, commands } (CPU time is the steadier figure
// on a shared machine).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, selectHosts } from '../src/config/index.ts';
import { createSecrets } from '../src/secrets/index.ts';
import { openSession } from '../src/engine/session.ts';
import { deployPlan } from '../src/engine/plan.ts';
import { runRecorded } from '../src/engine/recorded-run.ts';
import { stepHandlers } from '../src/engine/handlers.ts';
import { RecordingTransport, SimulatedServers } from '../src/remote/recording.ts';

const hosts = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'sextant-bench-'));
const list = Array.from({ length: hosts }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
mkdirSync(join(dir, 'config'));
writeFileSync(
  join(dir, 'config/deploy.yml'),
  `service: bench\nimage: bench/app\nservers:\n  web:\n${list.map((h) => `    - ${h}`).join('\n')}\n  workers:\n    hosts:\n${list.map((h) => `      - ${h}`).join('\n')}\n    cmd: bin/jobs\nregistry:\n  username: u\n  password:\n    - PW\nenv:\n  secret:\n    - SECRET\nbuilder:\n  arch: amd64\nreadiness_delay: 0\n`,
);
const config = loadConfig({ cwd: dir, env: {} });
const secrets = createSecrets(new Map([['PW', 'pw'], ['SECRET', 's3cret']]), ['.kamal/secrets']);
const servers = new SimulatedServers();
let commands = 0;
const transports = new Map<string, RecordingTransport>();
const session = openSession({
  config,
  selection: selectHosts(config),
  secrets,
  version: () => 'v2',
  command: 'deploy',
  cwd: dir,
  env: {},
  skipHooks: true,
  dryRun: false,
  transports: (host) => transports.get(host) ?? transports.set(host, new RecordingTransport(host, servers)).get(host)!,
});
session.bus.on('command.start', () => commands++);
const plan = deployPlan(config, session.env.selection, { runId: session.runId, command: 'deploy', version: 'v2', skipPush: true, lockInherited: false });
const started = performance.now();
const cpuBefore = process.cpuUsage();
const output = await runRecorded({
  session,
  plan,
  handlers: stepHandlers(session.env),
  kamalCommand: 'deploy',
  request: { argv: ['deploy'], configFile: 'config/deploy.yml', skipPush: true, skipHooks: true },
});
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
if (!output.ok) throw new Error(JSON.stringify(output.failures.slice(0, 3)));
console.log(JSON.stringify({ hosts, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), commands: servers.lines.length }));
if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
else console.error(dir);
