// `npm run mutate`: mutation testing (docs/mutation.md). Runs Stryker once per folder, each
// folder's code against its own unit tests (stryker.config.mjs), and ends with a table of scores.
//   npm run mutate                          src/commands, src/config, src/secrets, machines
//   npm run mutate -- secrets commands      only these folders
//   npm run mutate -- --since main          only the .ts files of those folders changed since a
//                                           git ref (committed, staged, unstaged or untracked)
//   npm run mutate -- --survivors           list the surviving mutants after the table
//   npm run mutate -- --concurrency 2 ...   any other option goes to Stryker as it is
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { FOLDERS } from '../stryker.config.mjs';

type Folder = keyof typeof FOLDERS;
interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

const root = new URL('..', import.meta.url).pathname;
const stryker = join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js');
const args = process.argv.slice(2);
const names = Object.keys(FOLDERS) as Folder[];

function fail(message: string): never {
  console.error(`npm run mutate: ${message}`);
  process.exit(2);
}

let since: string | undefined;
let survivors = false;
const folders: Folder[] = [];
const passOn: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  if (arg === '--since') {
    since = args[++i];
    if (!since) fail('--since needs a git ref, e.g. --since main');
  } else if (arg.startsWith('--since=')) since = arg.slice('--since='.length);
  else if (arg === '--survivors') survivors = true;
  else if (arg.startsWith('-')) {
    passOn.push(arg);
    const value = args[i + 1];
    if (!arg.includes('=') && value !== undefined && !value.startsWith('-') && !names.includes(value as Folder)) passOn.push(args[++i] as string);
  } else if (names.includes(arg as Folder)) folders.push(arg as Folder);
  else fail(`unknown folder "${arg}": expected one of ${names.join(', ')}`);
}

function git(gitArgs: string[]): string[] {
  const result = spawnSync('git', gitArgs, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) fail(`git ${gitArgs.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** The folder's code files changed since `ref`, or undefined for the whole folder. */
function changedFiles(folder: Folder): string[] | undefined {
  if (since === undefined) return undefined;
  const dir = FOLDERS[folder].code;
  const files = [...git(['diff', '--name-only', since, '--', dir]), ...git(['ls-files', '--others', '--exclude-standard', '--', dir])];
  return [...new Set(files)].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && existsSync(join(root, f)));
}

const counted = ['Killed', 'Timeout', 'Survived', 'NoCoverage'];
function score(mutants: Mutant[]) {
  const by = (status: string) => mutants.filter((m) => m.status === status).length;
  const detected = by('Killed') + by('Timeout');
  const valid = counted.reduce((n, s) => n + by(s), 0);
  return {
    total: mutants.length,
    killed: by('Killed'),
    timeout: by('Timeout'),
    survived: by('Survived'),
    noCoverage: by('NoCoverage'),
    invalid: by('CompileError') + by('RuntimeError'),
    ignored: by('Ignored'),
    score: valid === 0 ? 100 : (100 * detected) / valid,
  };
}

const rows: string[] = [];
const survivorLines: string[] = [];
let failed = false;
for (const folder of folders.length ? folders : names) {
  const files = changedFiles(folder);
  if (files && files.length === 0) {
    console.log(`\n== ${FOLDERS[folder].code}: no .ts file changed since ${since}, skipped`);
    continue;
  }
  console.log(`\n== ${FOLDERS[folder].code}${files ? ` (${files.length} files changed since ${since})` : ''}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [stryker, 'run', 'stryker.config.mjs', ...(files ? ['--mutate', files.join(',')] : []), ...passOn], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATE_FOLDER: folder },
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const reportFile = join(root, 'reports/mutation', folder, 'mutation.json');
  if (run.status !== 0 || !existsSync(reportFile)) {
    failed ||= run.status !== 0;
    rows.push(`| ${FOLDERS[folder].code} | ${run.status === 0 ? 'no report (--dryRunOnly?)' : `Stryker failed (exit ${run.status})`} | | | | | ${minutes} min |`);
    continue;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const s = score(Object.values(report.files).flatMap((f) => f.mutants));
  rows.push(
    `| ${FOLDERS[folder].code}${files ? ' (changed files)' : ''} | **${s.score.toFixed(1)} %** | ${s.killed + s.timeout} (${s.timeout} timeouts) | ${s.survived} | ${s.noCoverage} | ${s.invalid} | ${minutes} min |`,
  );
  for (const [file, { mutants }] of Object.entries(report.files).sort()) {
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage').sort((a, b) => a.location.start.line - b.location.start.line)) {
      survivorLines.push(`${file}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '')}`);
    }
  }
}

if (survivors && survivorLines.length) console.log(`\nSurviving mutants (id-less; see reports/mutation/<folder>/mutation.html):\n${survivorLines.join('\n')}`);
console.log('\n| folder | mutation score | detected | survived | no coverage | compile/runtime errors (not counted) | time |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
process.exit(failed ? 1 : 0);
