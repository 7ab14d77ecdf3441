// src/commands/ is pure: builders and the renderer produce data and text, nothing else. Every file
// there (now and as builders are added) may import only other files in src/commands/ and
// src/errors.ts; anything else only with `import type`. No Node built-ins (fs, child_process, net,
// …), no packages (ssh2, …), no dynamic import or require, no `process`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const commandsDir = join(root, 'src/commands');
const errorsFile = join(root, 'src/errors.ts');

type Import = { readonly specifier: string; readonly typeOnly: boolean };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Static imports and re-exports, including side-effect-only `import '…'`. */
function importsOf(source: string): Import[] {
  const code = withoutComments(source);
  const found: Import[] = [];
  const fromClause = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*(['"])([^'"]+)\3/g;
  for (const match of code.matchAll(fromClause)) found.push({ specifier: match[4]!, typeOnly: Boolean(match[2]) });
  const bare = /(?:^|[;\n])\s*import\s*(['"])([^'"]+)\1/g;
  for (const match of code.matchAll(bare)) found.push({ specifier: match[2]!, typeOnly: false });
  return found;
}

/** Problems in one file's source; `file` is where relative specifiers resolve from. */
function impurities(file: string, source: string): string[] {
  const problems: string[] = [];
  const code = withoutComments(source);
  if (/\bimport\s*\(/.test(code)) problems.push('dynamic import()');
  if (/\brequire\s*\(/.test(code)) problems.push('require()');
  if (/\bprocess\s*[.[]/.test(code)) problems.push('uses process');
  for (const { specifier, typeOnly } of importsOf(source)) {
    if (!specifier.startsWith('.')) {
      if (!typeOnly) problems.push(`imports ${specifier}`);
      continue;
    }
    const target = resolve(dirname(file), specifier);
    const inside = target.startsWith(`${commandsDir}/`) || target === errorsFile;
    if (!inside && !typeOnly) problems.push(`imports ${specifier} (outside src/commands; use import type)`);
  }
  return problems;
}

test('every file under src/commands/ imports nothing with side effects', () => {
  const files = sourceFiles(commandsDir);
  assert.ok(files.some((file) => file.endsWith('/shell.ts')) && files.some((file) => file.endsWith('/command.ts')));
  const report = files.flatMap((file) =>
    impurities(file, readFileSync(file, 'utf8')).map((problem) => `${relative(root, file)}: ${problem}`));
  assert.equal(report, []);
});

test('the scanner sees the imports that are there', () => {
  const shell = readFileSync(join(commandsDir, 'shell.ts'), 'utf8');
  assert.equal(importsOf(shell), [
    { specifier: './command.ts', typeOnly: true },
    { specifier: './ruby-string.ts', typeOnly: false },
  ]);
});

test('the scanner flags impure imports', () => {
  const file = join(commandsDir, 'docker.ts');
  const bad = [
    "import { readFileSync } from 'node:fs';",
    "import {\n  exec,\n} from 'child_process';",
    "import { Client } from 'ssh2';",
    "import 'net';",
    "export { x } from '../remote/ssh.ts';",
    "import { load } from '../config/load.ts';",
    'const fs = await import("node:fs");',
    "const cp = require('child_process');",
    'const home = process.env.HOME;',
  ].join('\n');
  assert.equal(impurities(file, bad), [
    'dynamic import()',
    'require()',
    'uses process',
    'imports node:fs',
    'imports child_process',
    'imports ssh2',
    'imports ../remote/ssh.ts (outside src/commands; use import type)',
    'imports ../config/load.ts (outside src/commands; use import type)',
    'imports net',
  ]);
  const good = [
    "import type { Config } from '../config/types.ts';",
    "import { UserError } from '../errors.ts';",
    "import { argv, raw } from './command.ts';",
    "export type { Word } from './command.ts';",
    '// import fs from "node:fs" in a comment is fine',
  ].join('\n');
  assert.equal(impurities(file, good), []);
});

test.run();
