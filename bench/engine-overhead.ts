// One deploy of N hosts (two roles each) through the real engine — machines, step handlers,
// command builders, the run record (as the CLI runs it: runRecorded) — over in-memory transports that answer like a fresh server.
// Prints one JSON line: { hosts, parts, ms, cpuMs, maxRssMb, commands } (CPU time is the steadier figure
// on a shared machine).
//   bench/engine-overhead.ts N [whole|no-record|machines]
// The second argument takes parts away, to show where the time goes: `no-record` runs the engine
// without the run record (runDeployment); `machines` also replaces every step by one that succeeds
// at once (no commands), leaving the machines, their actors and events, and the event bus.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, selectHosts } from '../src/config/index.ts';
import { createSecrets } from '../src/secrets/index.ts';
import { openSession } from '../src/engine/session.ts';
import { deployPlan } from '../src/engine/plan.ts';
import { runRecorded } from '../src/engine/recorded-run.ts';
import { runDeployment, type StepHandlers } from '../src/engine/run.ts';
import { stepHandlers } from '../src/engine/handlers.ts';
import { RecordingTransport, SimulatedServers } from '../src/remote/recording.ts';

const hosts = Number(process.argv[2] ?? 100);
const parts = process.argv[3] ?? 'whole';
if (!['whole', 'no-record', 'machines'].includes(parts)) throw new Error(`unknown part ${parts}: whole, no-record or machines`);
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
const handlers = parts === 'machines' ? instantSteps(stepHandlers(session.env)) : stepHandlers(session.env);
const output =
  parts === 'whole'
    ? await runRecorded({
        session,
        plan,
        handlers,
        kamalCommand: 'deploy',
        request: { argv: ['deploy'], configFile: 'config/deploy.yml', skipPush: true, skipHooks: true },
      })
    : await runDeployment({ plan, handlers, bus: session.bus });
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
if (!output.ok) throw new Error(JSON.stringify(output.failures.slice(0, 3)));
console.log(JSON.stringify({ hosts, parts, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), commands: servers.lines.length }));
if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
else console.error(dir);

// Steps that succeed at once and send nothing; the rename step reports a running version, so that
// every role swap goes through its stop step as in the real run.
function instantSteps(real: StepHandlers): StepHandlers {
  return { ...real, hostStep: async () => {}, swapStep: async (input) => (input.step === 'renameClash' ? { oldVersion: 'v1' } : {}) };
}
