import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// Every recorded Kamal 2.6.0 scenario, replayed with `sextant … --dry-run` by the shared
// conformance runner: each slug must send exactly Kamal's commands (none missing, none extra), in
// Kamal's per-host order.

const repo = fileURLToPath(new URL('../../..', import.meta.url));
// shared/ stands beside the checkout (as in CI's clean clone); /work/shared on a developer's machine.
const conformance =
  process.env.SEXTANT_CONFORMANCE_DIR ?? [join(repo, '../shared/conformance'), '/work/shared/conformance'].find((dir) => existsSync(dir)) ?? join(repo, '../shared/conformance');
const runner = join(conformance, 'run_all.sh');

interface SlugResult {
  slug: string;
  matched: number;
  total: number;
  missing: number;
  extra: number;
  orderOk: boolean;
  line: string;
}

// Kamal commands recorded for the slugs the runner replays (commands.txt × expected/index.tsv).
function recordedTotal(): number {
  let total = 0;
  for (const scenario of readdirSync(conformance).filter((name) => /^s\d/.test(name)).sort()) {
    const commands = join(conformance, scenario, 'commands.txt');
    const index = join(conformance, scenario, 'expected', 'index.tsv');
    if (!existsSync(commands) || !existsSync(index)) continue;
    const slugs = new Set(
      readFileSync(commands, 'utf8')
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('#'))
        .map((line) => line.split('\t')[0]),
    );
    const [header, ...rows] = readFileSync(index, 'utf8').trim().split('\n');
    const column = (header ?? '').split('\t').indexOf('commands');
    for (const row of rows) {
      const cells = row.split('\t');
      if (slugs.has(cells[0])) total += Number(cells[column]);
    }
  }
  return total;
}

function runAll(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [runner, 'node', join(repo, 'bin/sextant.js')], { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60 * 1000 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stdout, stderr })) : resolve(stdout),
    );
  });
}

// The runner prints, per slug, `[scenario/slug] matched M/T (…) | missing N | extra N | order OK|DIFFERS …`
// followed by the missing (-) and extra (+) lines. A head line without the missing and extra
// counts fails the test (NaN), so a change in the runner's format cannot pass for a match.
function parse(output: string): { slugs: SlugResult[]; blocks: Map<string, string>; grand?: { matched: number; total: number } } {
  const slugs: SlugResult[] = [];
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const head = /^\[([^\]]+)\] matched (\d+)\/(\d+)/.exec(line);
    if (head) {
      current = head[1] as string;
      const missing = /\| missing (\d+) \|/.exec(line);
      const extra = /\| extra (\d+) \|/.exec(line);
      slugs.push({
        slug: current,
        matched: Number(head[2]),
        total: Number(head[3]),
        missing: missing ? Number(missing[1]) : Number.NaN,
        extra: extra ? Number(extra[1]) : Number.NaN,
        orderOk: /\border OK\b/.test(line),
        line,
      });
      blocks.set(current, `${line}\n`);
    } else if (current && !line.startsWith('conformance:')) {
      blocks.set(current, `${blocks.get(current) ?? ''}${line}\n`);
    }
  }
  const grand = /^conformance: (\d+)\/(\d+)\s*$/m.exec(output);
  return { slugs, blocks, grand: grand ? { matched: Number(grand[1]), total: Number(grand[2]) } : undefined };
}

test('every recorded Kamal scenario is reproduced command for command, in order, with no extra command', async () => {
  assert.ok(existsSync(runner), `conformance runner not found at ${runner} (set SEXTANT_CONFORMANCE_DIR)`);
  const output = await runAll();
  const { slugs, blocks, grand } = parse(output);
  const expectedTotal = recordedTotal();
  assert.ok(slugs.length > 0, `no slug results in the runner's output:\n${output}`);
  // Kamal-exact: every recorded command sent (none missing), nothing else sent (none extra), in order.
  const failing = slugs.filter((s) => s.matched !== s.total || s.missing !== 0 || s.extra !== 0 || !s.orderOk);
  assert.ok(failing.length === 0, `${failing.length} slug(s) differ from Kamal:\n\n${failing.map((s) => blocks.get(s.slug)).join('\n')}`);
  assert.ok(grand, `no grand total line in the runner's output:\n${output}`);
  assert.is(grand.matched, grand.total, 'grand total matched');
  assert.ok(grand.total >= expectedTotal, `grand total ${grand.total} covers every recorded command (${expectedTotal})`);
  assert.ok(grand.total >= 593, `grand total ${grand.total} is at least the 593 commands of the three shared scenarios`);
});

test.run();
