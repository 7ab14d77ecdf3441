// Mutation testing (docs/mutation.md). `npm run mutate` (scripts/mutate.ts) runs Stryker once per
// folder with MUTATE_FOLDER set, so each folder's code is mutated and judged by its own unit tests
// (test/unit/<folder>); `npx stryker run` without it mutates all four folders against all four test
// folders at once.
//
// uvu has no Stryker runner; stryker/uvu-runner.mjs is one. A test file is one "test" to
// Stryker: coverage is collected per file, and a mutant runs only the files that executed it,
// stopping at the first that fails.
import { fileURLToPath } from 'node:url';

// `skip`: tests that read the source text itself, which Stryker instruments (its preamble uses
// `process`): they fail the same for every mutant and say nothing about any.
export const FOLDERS = {
  commands: { code: 'src/commands', tests: 'test/unit/commands', skip: ['test/unit/commands/shell-purity.test.ts'] },
  config: { code: 'src/config', tests: 'test/unit/config' },
  secrets: { code: 'src/secrets', tests: 'test/unit/secrets' },
  machines: { code: 'machines', tests: 'test/unit/machines' },
};

const folder = process.env.MUTATE_FOLDER;
if (folder !== undefined && !(folder in FOLDERS)) {
  throw new Error(`MUTATE_FOLDER=${folder}: expected one of ${Object.keys(FOLDERS).join(', ')}`);
}
const selected = folder ? [FOLDERS[folder]] : Object.values(FOLDERS);
const reportDir = `reports/mutation/${folder ?? 'all'}`;
const plugin = (name) => fileURLToPath(new URL(`./stryker/${name}`, import.meta.url));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: selected.map((f) => `${f.code}/**/*.ts`),
  plugins: ['@stryker-mutator/typescript-checker', plugin('uvu-runner.mjs'), plugin('ts-checker.mjs')],
  testRunner: 'uvu',
  testRunnerNodeArgs: ['--import', 'tsx'],
  uvu: { testDirs: selected.map((f) => f.tests), preloadDirs: selected.map((f) => f.code), skipTests: selected.flatMap((f) => f.skip ?? []) },
  // Each run imports its test files anew and they stay in memory: a fresh worker now and then.
  maxTestRunnerReuse: 200,
  coverageAnalysis: 'perTest',
  // Mutants that are not valid TypeScript are dropped (CompileError, not counted) by
  // stryker/ts-checker.mjs, which checks the mutated file only; `--checkers typescript` uses
  // Stryker's whole-program checker instead (about four times the CPU per mutant).
  checkers: ['typescript-file'],
  // Per folder, the type checker's program is the folder and its tests (and what they import).
  tsconfigFile: folder ? `stryker/tsconfig.${folder}.json` : 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // With a checker Stryker splits this into checker and test runner processes: one of each.
  concurrency: 2,
  // The sandbox is a copy of the project: leave out what the unit tests never read (node_modules is
  // symlinked, .git, reports and .stryker-tmp are left out by Stryker itself).
  ignorePatterns: ['.kamal/runs', '.testbed', '.scratch', 'dist', 'tmp', '*.log'],
  // A busy shared machine needs slack before a slow mutant is called a timeout.
  timeoutMS: 15000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 20,
  reporters: ['progress', 'html', 'json'],
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
