// Runs every test file in its own Node process (uvu suites), plus the type check, and ends with
// one line `N passed, N failed` that CI reads.
//   npm test                 type check + unit + integration tests
//   npm test -- --unit       type check + unit tests only
//   npm test -- <substring>  only test files whose path contains <substring>
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  crashed: boolean;
}

// A test process that hangs must not hang CI: it is killed when it runs longer than FILE_LIMIT_MS,
// or when it is still alive AFTER_SUMMARY_MS after uvu printed its summary (a leaked socket or
// timer keeps the event loop alive). Either way the file counts as failed, with the reason.
const FILE_LIMIT_MS = 20 * 60_000;
const AFTER_SUMMARY_MS = 30_000;

function runProcess(cmd: string, cmdArgs: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    let lingering: NodeJS.Timeout | undefined;
    const kill = (why: string) => {
      output += `\n[test runner] ${why}: killed\n`;
      child.kill('SIGKILL');
    };
    const limit = setTimeout(() => kill(`still running after ${FILE_LIMIT_MS / 60_000} minutes`), FILE_LIMIT_MS);
    const collect = (d: Buffer) => {
      output += d;
      if (!lingering && /Total:\s+\d+/.test(output)) {
        lingering = setTimeout(() => kill(`did not exit ${AFTER_SUMMARY_MS / 1000} s after its tests finished (a handle left open)`), AFTER_SUMMARY_MS);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => {
      clearTimeout(limit);
      clearTimeout(lingering);
      resolve({ code: code ?? 1, output });
    });
  });
}

// uvu prints "Total: N / Passed: N / Skipped: N" once per process.
function parseUvu(output: string): { total: number; passed: number; skipped: number } | undefined {
  const total = /Total:\s+(\d+)/.exec(output);
  const passed = /Passed:\s+(\d+)/.exec(output);
  const skipped = /Skipped:\s+(\d+)/.exec(output);
  if (!total || !passed) return undefined;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: Number(skipped?.[1] ?? 0) };
}

async function runTestFile(file: string): Promise<FileResult> {
  const { code, output } = await runProcess(process.execPath, ['--import', 'tsx', file]);
  const counts = parseUvu(output);
  const rel = relative(root, file);
  if (!counts) return { file: rel, passed: 0, failed: 1, skipped: 0, output, crashed: true };
  let failed = counts.total - counts.passed - counts.skipped;
  if (code !== 0 && failed === 0) failed = 1; // a crash after the summary still fails the file
  return { file: rel, passed: counts.passed, failed, skipped: counts.skipped, output, crashed: false };
}

async function runTypecheck(): Promise<FileResult> {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const { code, output } = await runProcess(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']);
  return { file: 'typecheck (tsc --noEmit)', passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, output, crashed: false };
}

async function pool<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

function report(r: FileResult): void {
  const mark = r.failed ? '✖' : '✔';
  console.log(`${mark} ${r.file}: ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
  if (r.failed) console.log(r.output.split('\n').map((l) => `    ${l}`).join('\n'));
}

const matches = (f: string) => filters.length === 0 || filters.some((s) => f.includes(s));
const unitFiles = findTests(join(root, 'test/unit')).filter(matches);
const integrationFiles = unitOnly ? [] : findTests(join(root, 'test/integration')).filter(matches);

const results: FileResult[] = [];
if (filters.length === 0) {
  const tc = await runTypecheck();
  report(tc);
  results.push(tc);
}
const parallel = Math.max(2, cpus().length);
for (const r of await pool(unitFiles, parallel, runTestFile)) {
  report(r);
  results.push(r);
}
// Integration tests need the testbed's packages and programs (Docker, sshd, the registry,
// kamal-proxy, buildx); the install is idempotent and quick when everything is there. The tests
// themselves bring the testbed up if it is not.
if (integrationFiles.length > 0) {
  const { code, output } = await runProcess('bash', ['test/testbed/install.sh']);
  const install: FileResult = { file: 'testbed install (test/testbed/install.sh)', passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, output, crashed: false };
  report(install);
  results.push(install);
}
// Integration tests share the testbed's servers, so they run one file at a time.
for (const file of integrationFiles) {
  const r = await runTestFile(file);
  report(r);
  results.push(r);
}

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
