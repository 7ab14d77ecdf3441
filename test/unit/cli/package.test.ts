// The npm package runs compiled src/ and machines/ with only `dependencies` installed (the slow
// end-to-end check is test/integration/first-deploy/install.test.ts). These are the quick guards.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SEXTANT_VERSION } from '../../../src/cli/commands/config.ts';

const root = new URL('../../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  files: string[];
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

// `import … from 'x'`, `export … from 'x'`, `import('x')`: the package each bare specifier names.
// Type-only imports are erased by the compiler, so they need nothing at run time.
function runtimePackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

test('sextant version is the package version', () => {
  assert.is(SEXTANT_VERSION, pkg.version);
});

test('every package src/ and machines/ import at run time is a dependency, not a devDependency', () => {
  const files = [...sources(join(root, 'src')), ...sources(join(root, 'machines'))];
  assert.ok(files.length > 50, 'the scan found the sources');
  const used = new Map<string, string>();
  for (const file of files) for (const name of runtimePackages(file)) used.set(name, file.slice(root.length));
  assert.ok(used.has('xstate') && used.has('commander'), `the scan sees imports: ${[...used.keys()].join(', ')}`);
  for (const [name, file] of used) assert.ok(name in pkg.dependencies, `${file} imports ${name}, which is not in dependencies`);
});

test('the package ships the launcher and the compiled code only; tsx and typescript are dev tools', () => {
  assert.equal(pkg.files, ['bin/sextant.js', 'dist/']);
  assert.is(pkg.bin.sextant, 'bin/sextant.js');
  assert.match(pkg.scripts.prepack!, 'npm run build');
  for (const tool of ['tsx', 'typescript']) {
    assert.not.ok(tool in pkg.dependencies, `${tool} is not a run-time dependency`);
    assert.ok(tool in pkg.devDependencies, `${tool} is a devDependency (the repo's scripts and tests use it)`);
  }
});

test('the launcher runs src/ through tsx in a checkout, even with a stale dist/; without src/ it runs dist/ (its bundle if there) and needs no tsx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-launcher-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(root, 'bin/sextant.js'), join(dir, 'bin/sextant.js'));
    mkdirSync(join(dir, 'src/cli'), { recursive: true });
    writeFileSync(join(dir, 'src/cli/main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
    mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
    writeFileSync(join(dir, 'dist/src/cli/main.js'), "console.log('dist');\n");
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const run = () => execFileSync(process.execPath, [join(dir, 'bin/sextant.js')], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
    assert.is(run(), 'src');
    rmSync(join(dir, 'src'), { recursive: true });
    rmSync(join(dir, 'node_modules'));
    assert.is(run(), 'dist');
    writeFileSync(join(dir, 'dist/sextant.mjs'), "console.log('bundle');\n");
    assert.is(run(), 'bundle', 'the bundle is preferred when the build made one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
