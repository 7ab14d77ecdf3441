// `npm run bench -- --kamal DIR [--runs N] [--only rollout,full,latency,start] [--no-build]`: Sextant and
// Kamal 2.6.0 (DIR from ../shared/kamal-oracle/setup.sh) taking turns on the testbed's 3 servers,
// through the oracle's rollout-bench.sh, in four scenarios: rollout (`deploy -P`, image already in
// the registry), full (`deploy` with exactly one new image layer per run: the oracle's `fullnew`
// mode commits a changed app/stamp, which only the last COPY step of the Dockerfile sees; the other
// layers come from the warm build cache), latency (rollout with 50 ms each way added on SSH) and
// start (`config` and `version` in examples/hello, each CLI as a fresh process, at least 7 times).
// Sextant runs as installed: compiled JavaScript from dist/, no tsx, with the node flags of
// bin/sextant.js's shebang (the oracle's script runs `node bin/sextant.js`, which skips the shebang).
//
// It uses the one testbed: run it under the shared lock, e.g.
//   flock /tmp/sextant-testbed.lock npm run bench -- --kamal /tmp/kamal-2.6.0
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const value = (flag: string) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const kamalDir = resolve(value('--kamal') ?? '');
const runs = Number(value('--runs') ?? 5);
const only = (value('--only') ?? 'rollout,full,latency,start').split(',');
const oracle = process.env.SEXTANT_ORACLE_DIR ?? join(repo, '../shared/kamal-oracle');
if (!existsSync(join(kamalDir, 'bin/kamal'))) throw new Error(`no Kamal in ${kamalDir} (run ${oracle}/setup.sh first)`);
if (!existsSync(join(oracle, 'rollout-bench.sh'))) throw new Error(`no rollout-bench.sh in ${oracle} (set SEXTANT_ORACLE_DIR)`);

function run(command: string, argv: string[], env: Record<string, string> = {}, cwd = repo): string {
  const result = spawnSync(command, argv, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

// The checkout as an installed package would run it: bin/ and dist/ but no src/ (so bin/sextant.js
// takes dist/), beside the example app the oracle's script deploys.
function compiledCheckout(): string {
  if (!args.includes('--no-build')) run('npm', ['run', 'build']);
  const dir = join(repo, '.scratch/bench-compiled');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(repo, 'bin/sextant.js'), join(dir, 'bin/sextant.js'));
  copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'));
  for (const name of ['dist', 'node_modules', 'examples', 'test']) symlinkSync(join(repo, name), join(dir, name));
  return dir;
}

// `fullnew` commits before each run, so it gets a clone of its own: the committed tree with its
// src/ removed (bin/sextant.js then takes dist/) and the built dist/ and node_modules beside it.
function committingClone(): string {
  const dir = join(repo, '.scratch/bench-fullnew');
  rmSync(dir, { recursive: true, force: true });
  run('git', ['clone', '-q', '--no-hardlinks', repo, dir]);
  rmSync(join(dir, 'src'), { recursive: true, force: true });
  copyFileSync(join(repo, 'bin/sextant.js'), join(dir, 'bin/sextant.js'));
  for (const name of ['dist', 'node_modules']) symlinkSync(join(repo, name), join(dir, name));
  return dir;
}

// What the shebang gives an installed CLI, e.g. `#!/usr/bin/env -S node --max-semi-space-size=1`.
function shebangFlags(): string {
  const first = readFileSync(join(repo, 'bin/sextant.js'), 'utf8').split('\n')[0] ?? '';
  return /\bnode\s+(.*)$/.exec(first)?.[1]?.trim() ?? '';
}

interface Figures {
  kamal: number;
  sextant: number;
  ratio: number;
  kamalRss: number;
  sextantRss: number;
  failed: string;
}

// rollout-bench.sh prints `<tool> n=… failed=… wall_ms median=… … peak_rss_MiB median=…` per tool and
// a `ratio sextant/kamal of medians R` line.
function parse(output: string): Figures {
  const tool = (name: string) => {
    const line = output.split('\n').find((l) => l.startsWith(name)) ?? '';
    return {
      ms: Number(/wall_ms median=(\d+)/.exec(line)?.[1]),
      rss: Number(/peak_rss_MiB median=(\d+)/.exec(line)?.[1]),
      failed: /failed=(\d+)/.exec(line)?.[1] ?? '?',
    };
  };
  const k = tool('kamal');
  const s = tool('sextant');
  return { kamal: k.ms, sextant: s.ms, ratio: s.ms / k.ms, kamalRss: k.rss, sextantRss: s.rss, failed: `${k.failed}/${s.failed}` };
}

// `start`: `config` and `version` of each CLI in examples/hello, alternating (Kamal first), wall
// time of the whole process and its peak RSS; medians.
function startTimes(checkout: string, command: 'config' | 'version', times: number) {
  const app = join(checkout, 'examples/hello');
  const tools = {
    kamal: ['ruby', `-I${join(kamalDir, 'lib')}`, join(kamalDir, 'bin/kamal'), command],
    sextant: ['node', ...shebangFlags().split(' ').filter(Boolean), join(checkout, 'bin/sextant.js'), command],
  };
  const seen = { kamal: [] as number[], sextant: [] as number[], kamalRss: [] as number[], sextantRss: [] as number[] };
  for (let i = 0; i < times; i++) {
    for (const tool of ['kamal', 'sextant'] as const) {
      const started = performance.now();
      const result = spawnSync('/usr/bin/time', ['-f', '%M', ...tools[tool]], { cwd: app, encoding: 'utf8' });
      const ms = performance.now() - started;
      if (result.status !== 0) throw new Error(`${tools[tool].join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
      seen[tool].push(ms);
      seen[`${tool}Rss`].push(Number(result.stderr.trim().split('\n').at(-1)) / 1024);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { kamal: median(seen.kamal), sextant: median(seen.sextant), kamalRss: median(seen.kamalRss), sextantRss: median(seen.sextantRss) };
}

const checkout = compiledCheckout();
const fault = (name: string) => run('node', ['--import', 'tsx', join(oracle, 'fault.mts'), name, 'all', ...(name === 'addSshLatency' ? ['50'] : [])], { SEXTANT_REPO: repo });
const stamp = Date.now().toString(36);
const rows: string[] = [];
for (const scenario of only) {
  if (scenario === 'start') {
    for (const command of ['config', 'version'] as const) {
      const f = startTimes(checkout, command, Math.max(runs, 7));
      rows.push(
        `| start: \`${command}\` | ${Math.max(runs, 7)} | ${Math.round(f.kamal)} ms | ${Math.round(f.sextant)} ms | ${(f.sextant / f.kamal).toFixed(2)} | ${Math.round(f.kamalRss)} / ${Math.round(f.sextantRss)} MiB | 0/0 |`,
      );
    }
    continue;
  }
  const mode = scenario === 'full' ? 'fullnew' : 'rollout';
  const env = {
    SEXTANT_REPO: scenario === 'full' ? committingClone() : checkout,
    KAMAL_DIR: kamalDir,
    OUTDIR: join(repo, '.scratch/bench-kamal', `${scenario}-${stamp}`),
    NODE_OPTIONS: shebangFlags(),
  };
  if (scenario === 'latency') fault('addSshLatency');
  let output: string;
  try {
    output = run('bash', [join(oracle, 'rollout-bench.sh'), mode, String(runs), `${scenario.slice(0, 3)}${stamp}`], env);
  } finally {
    if (scenario === 'latency') fault('removeSshLatency');
  }
  const f = parse(output);
  rows.push(`| ${scenario} | ${runs} | ${f.kamal} ms | ${f.sextant} ms | ${f.ratio.toFixed(2)} | ${f.kamalRss} / ${f.sextantRss} MiB | ${f.failed} |`);
  console.error(output);
}
console.log(['| scenario | runs each | Kamal median | Sextant median | Sextant/Kamal | peak RSS Kamal / Sextant | failed K/S |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n'));
