// `npm run bench`: each scenario in its own process (so peak memory is its own), medians and ratios.
//   npm run bench                 everything (needs the testbed for the real deploys)
//   npm run bench -- --engine     engine overhead only (no servers)
//   npm run bench -- --kamal DIR [--runs N] [--only rollout,full,latency,start]
//                                 side by side with Kamal 2.6.0 on the testbed (bench/kamal.ts)
import { spawnSync } from 'node:child_process';

if (process.argv.includes('--kamal')) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bench/kamal.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const engineOnly = process.argv.includes('--engine');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function lines(script: string, args: string[]): Array<Record<string, number>> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

const rows: string[] = ['| scenario | runs | median | other |', '| --- | --- | --- | --- |'];
const engine: Record<number, { ms: number; cpu: number; rss: number }> = {};
for (const [hosts, runs] of [[100, 5], [1000, 3]] as const) {
  const results = Array.from({ length: runs }, () => lines('bench/engine-overhead.ts', [String(hosts)])[0] as Record<string, number>);
  engine[hosts] = { ms: median(results.map((r) => r.ms as number)), cpu: median(results.map((r) => r.cpuMs as number)), rss: median(results.map((r) => r.maxRssMb as number)) };
  rows.push(
    `| engine overhead, in-memory transport, ${hosts} hosts × 2 roles (${results[0]?.commands} commands) | ${runs} | ${engine[hosts].ms} ms | CPU ${engine[hosts].cpu} ms (runs: ${results.map((r) => r.cpuMs).join(', ')}), peak RSS ${engine[hosts].rss} MB |`,
  );
}
rows.push(
  `| ratio 1000 / 100 hosts | | ${(engine[1000]!.ms / engine[100]!.ms).toFixed(1)}× time | ${(engine[1000]!.cpu / engine[100]!.cpu).toFixed(1)}× CPU, ${(engine[1000]!.rss / engine[100]!.rss).toFixed(1)}× memory |`,
);
// Where the time at 1,000 hosts goes: the same run without the run record, then with steps that
// succeed at once (the machines, their actors and events, and the bus alone).
for (const [parts, what] of [['no-record', 'without the run record'], ['machines', 'machines alone (steps succeed at once)']] as const) {
  const results = Array.from({ length: 3 }, () => lines('bench/engine-overhead.ts', ['1000', parts])[0] as Record<string, number>);
  rows.push(`| engine overhead, 1,000 hosts × 2 roles, ${what} | 3 | ${median(results.map((r) => r.ms as number))} ms | CPU ${median(results.map((r) => r.cpuMs as number))} ms, peak RSS ${median(results.map((r) => r.maxRssMb as number))} MB |`);
}

if (!engineOnly) {
  const deploy: Record<number, number> = {};
  for (const servers of [1, 3]) {
    const results = lines('bench/deploy.ts', [String(servers), '5']);
    deploy[servers] = median(results.map((r) => r.ms as number));
    rows.push(`| real deploy -P v→v+1 to ${servers} testbed server${servers > 1 ? 's' : ''} (web + workers) | ${results.length} | ${deploy[servers]} ms | runs: ${results.map((r) => r.ms).join(', ')} ms |`);
  }
  rows.push(`| ratio 3 / 1 servers | | ${(deploy[3]! / deploy[1]!).toFixed(2)}× | |`);
}
console.log(rows.join('\n'));
