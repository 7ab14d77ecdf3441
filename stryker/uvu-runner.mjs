// A Stryker test runner for uvu test files, run inside Stryker's worker process (which Stryker
// starts with `--import tsx`, see stryker.config.mjs). Stryker has no uvu runner, and starting
// node + tsx for each test file of each mutant costs about a second: ten thousand mutants would
// take hours on two cores. Here each test file is one Stryker "test":
//
// - The code under test (uvu.preloadDirs) is imported once per worker, with no test current, so
//   what runs while a module loads counts as Stryker's "static" coverage.
// - A test file is imported afresh for every run (a new `?stryker-run=N` URL), so its top-level
//   code and state are new each time, as in its own process; the uvu suites it queues are then
//   run. What runs meanwhile is coverage of that file, and a mutant runs only the files that
//   reached it, stopping at the first that fails.
// - For a static mutant Stryker asks for a fresh environment: the test files are then imported
//   with a new `?stryker-gen=N`, which stryker/fresh-modules.mjs passes on to every project file
//   they import, so the code under test loads anew with the mutant active (no new worker needed).
// - A file fails when a suite reports an error, runs fewer tests than it has (uvu swallows an
//   error thrown by a `before` hook), or an error escapes it (an unhandled rejection or exception).
//
// Re-imported modules stay in memory, so stryker.config.mjs restarts workers now and then
// (maxTestRunnerReuse).
import { readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { join, relative, resolve, basename } from 'node:path';
import { pathToFileURL } from 'node:url';

import { commonTokens, declareClassPlugin, PluginKind, tokens } from '@stryker-mutator/api/plugin';
import { DryRunStatus, TestStatus, determineHitLimitReached, toMutantRunResult } from '@stryker-mutator/api/test-runner';

const NAMESPACE = '__stryker__';

function walk(dir, keep) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path, keep));
    else if (keep(name)) out.push(path);
  }
  return out;
}

const isTest = (name) => name.endsWith('.test.ts');
const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && !isTest(name);
// eslint-disable-next-line no-control-regex
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');

export class UvuTestRunner {
  static inject = tokens(commonTokens.logger, commonTokens.options);

  constructor(log, options) {
    this.log = log;
    this.options = options.uvu ?? {};
    this.ns = globalThis[NAMESPACE] ?? (globalThis[NAMESPACE] = {});
    this.loaded = false;
    this.runs = 0;
    this.generation = 0;
    this.escaped = undefined;
    this.kills = new Map();
    this.times = new Map();
  }

  capabilities() {
    return { reloadEnvironment: true };
  }

  async init() {
    // Before uvu is first imported: it then queues suites in UVU_QUEUE instead of running them.
    globalThis.UVU_DEFER = 1;
    register(new URL('./fresh-modules.mjs', import.meta.url));
    const root = process.cwd();
    const rel = (path) => relative(root, resolve(path));
    const skip = new Set((this.options.skipTests ?? []).map(rel));
    this.testFiles = (this.options.testDirs ?? []).flatMap((dir) => walk(dir, isTest)).map(rel).filter((file) => !skip.has(file));
    this.preloadFiles = (this.options.preloadDirs ?? []).flatMap((dir) => walk(dir, isSource)).map(rel);
    if (this.testFiles.length === 0) throw new Error(`uvu runner: no *.test.ts files in ${JSON.stringify(this.options.testDirs)}`);
    const escaped = (error) => {
      this.escaped ??= error;
    };
    process.on('unhandledRejection', escaped);
    process.on('uncaughtException', escaped);
  }

  async load(activeMutant) {
    if (this.loaded) return;
    this.ns.currentTestId = undefined;
    this.ns.activeMutant = activeMutant;
    for (const file of this.preloadFiles) await import(pathToFileURL(resolve(file)).href);
    this.loaded = true;
  }

  async runFile(file, perTest, generation) {
    const started = Date.now();
    globalThis.UVU_QUEUE = [[]];
    globalThis.UVU_INDEX = 0;
    this.escaped = undefined;
    this.ns.currentTestId = perTest ? file : undefined;
    const write = process.stdout.write;
    process.stdout.write = () => true;
    let failure;
    try {
      const query = generation === undefined ? `stryker-run=${++this.runs}` : `stryker-gen=${generation}`;
      await import(`${pathToFileURL(resolve(file)).href}?${query}`);
      for (const suite of globalThis.UVU_QUEUE.flat()) {
        const [errors, passed, , total] = await suite();
        if (errors !== true) failure = plain(errors);
        else if (passed < total) failure = `${total - passed} of ${total} tests did not run (a before hook failed?)`;
        if (failure) break;
      }
    } catch (error) {
      failure = `the file failed to load or run: ${error?.stack ?? error}`;
    } finally {
      process.stdout.write = write;
      this.ns.currentTestId = undefined;
    }
    // Give an escaped rejection of this file's promises a turn to surface before judging it.
    await new Promise((done) => setImmediate(done));
    if (!failure && this.escaped !== undefined) failure = `an error escaped the tests: ${this.escaped?.stack ?? this.escaped}`;
    const timeSpentMs = Date.now() - started;
    this.times.set(file, timeSpentMs);
    const result = { id: file, name: file, fileName: file, timeSpentMs };
    return failure ? { ...result, status: TestStatus.Failed, failureMessage: failure.slice(0, 2000) } : { ...result, status: TestStatus.Success };
  }

  async run(files, { perTest, bail, generation }) {
    const tests = [];
    for (const file of files) {
      const result = await this.runFile(file, perTest, generation);
      tests.push(result);
      if (result.status === TestStatus.Failed) {
        this.kills.set(file, (this.kills.get(file) ?? 0) + 1);
        if (bail) break;
      }
    }
    return tests;
  }

  async dryRun({ coverageAnalysis, disableBail }) {
    try {
      await this.load(undefined);
    } catch (error) {
      return { status: DryRunStatus.Error, errorMessage: `loading the code under test failed: ${error?.stack ?? error}` };
    }
    const tests = await this.run(this.testFiles, { perTest: coverageAnalysis === 'perTest', bail: !disableBail });
    const result = { status: DryRunStatus.Complete, tests };
    if (coverageAnalysis !== 'off') result.mutantCoverage = this.ns.mutantCoverage;
    return result;
  }

  // Files most likely to fail first: the one named after the mutated file, then those that have
  // killed most mutants in this worker, then the quickest.
  order(files, mutatedFile) {
    const stem = basename(mutatedFile ?? '').replace(/\.ts$/, '');
    const named = (file) => (basename(file).startsWith(`${stem}.`) || basename(file).startsWith(`${stem}-`) ? 0 : 1);
    return [...files].sort(
      (a, b) => named(a) - named(b) || (this.kills.get(b) ?? 0) - (this.kills.get(a) ?? 0) || (this.times.get(a) ?? 0) - (this.times.get(b) ?? 0),
    );
  }

  async mutantRun({ activeMutant, testFilter, disableBail, hitLimit, reloadEnvironment, mutantActivation }) {
    const files = this.order(testFilter ?? this.testFiles, activeMutant.fileName);
    // A fresh environment: the test files and all they import load anew with the mutant active.
    // Also for a static mutant in a new worker (Stryker then asks for no reload): the modules
    // loaded once per worker must never have been loaded with a mutant active.
    const fresh = reloadEnvironment || mutantActivation === 'static';
    if (!fresh) await this.load(undefined);
    this.ns.activeMutant = activeMutant.id;
    this.ns.hitLimit = hitLimit;
    this.ns.hitCount = hitLimit ? 0 : undefined;
    const generation = fresh ? ++this.generation : undefined;
    const tests = await this.run(files, { perTest: false, bail: !disableBail, generation });
    const timeout = determineHitLimitReached(this.ns.hitCount, this.ns.hitLimit);
    return toMutantRunResult(timeout ?? { status: DryRunStatus.Complete, tests });
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, 'uvu', UvuTestRunner)];

export const strykerValidationSchema = {
  $schema: 'http://json-schema.org/draft-07/schema',
  type: 'object',
  properties: {
    uvu: {
      description: 'Options of the uvu runner in stryker/uvu-runner.mjs',
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        testDirs: { description: 'Folders whose *.test.ts files are the tests', type: 'array', items: { type: 'string' } },
        preloadDirs: { description: 'Folders whose modules are loaded before any test (the code under test)', type: 'array', items: { type: 'string' } },
        skipTests: { description: 'Test files not to run (they read the source text, which Stryker instruments)', type: 'array', items: { type: 'string' } },
      },
    },
  },
};
