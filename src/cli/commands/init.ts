import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { deployJsonSchema } from '../../config/index.ts';
import { subcommand, type CliContext } from '../program.ts';

// The first of these paths (relative to this module) that exists, else the first: this module is
// src/cli/commands/init.ts, dist/src/cli/commands/init.js or part of the bundle dist/sextant.mjs.
function installed(paths: string[]): string {
  const candidates = paths.map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
}

const templates = installed(['../templates/', './src/cli/templates/']);

// Same files and messages as `kamal init`, plus the JSON Schema the stub's first line points to.
export function initProject(cwd: string, say: (line: string) => void): void {
  const deployFile = join(cwd, 'config/deploy.yml');
  if (existsSync(deployFile)) {
    say('Config file already exists in config/deploy.yml (remove first to create a new one)');
  } else {
    mkdirSync(dirname(deployFile), { recursive: true });
    copyFileSync(join(templates, 'deploy.yml'), deployFile);
    say('Created configuration file in config/deploy.yml');
  }

  const schemaFile = join(cwd, '.kamal/deploy.schema.json');
  if (!existsSync(schemaFile)) {
    mkdirSync(dirname(schemaFile), { recursive: true });
    writeFileSync(schemaFile, `${JSON.stringify(deployJsonSchema(), null, 2)}\n`);
    say('Created .kamal/deploy.schema.json for editor completion');
  }

  const secretsFile = join(cwd, '.kamal/secrets');
  if (!existsSync(secretsFile)) {
    copyFileSync(join(templates, 'secrets'), secretsFile);
    say('Created .kamal/secrets file');
  }

  const hooksDir = join(cwd, '.kamal/hooks');
  if (!existsSync(hooksDir)) {
    mkdirSync(hooksDir, { recursive: true });
    for (const sample of readdirSync(join(templates, 'hooks'))) {
      copyFileSync(join(templates, 'hooks', sample), join(hooksDir, sample));
      chmodSync(join(hooksDir, sample), 0o755);
    }
    say('Created sample hooks in .kamal/hooks');
  }
}

// This installation's entry point: bin/sextant.js beside src/ (a checkout) or beside dist/ (the
// package, running dist/src/ or the bundle dist/sextant.mjs).
function entryPoint(): string {
  return installed(['../../../bin/sextant.js', '../../../../bin/sextant.js', '../bin/sextant.js']);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// `kamal init --bundle` adds the gem to the Gemfile and writes bin/kamal. Sextant is no gem: it writes
// bin/sextant, which runs the project's own Sextant (node_modules/.bin/sextant) when it has one, else
// the installation that wrote it. Same messages, same refusal to overwrite.
export function writeBinstub(cwd: string, say: (line: string) => void, entry: string = entryPoint()): void {
  const binstub = join(cwd, 'bin/sextant');
  if (existsSync(binstub)) {
    say('Binstub already exists in bin/sextant (remove first to create a new one)');
    return;
  }
  say('Adding a Sextant binstub...');
  mkdirSync(dirname(binstub), { recursive: true });
  writeFileSync(
    binstub,
    `#!/bin/sh
# Runs Sextant: the project's own (npm install --save-dev sextant) if there is one, else the one that wrote this file.
own="$(dirname "$0")/../node_modules/.bin/sextant"
if [ -x "$own" ]; then exec "$own" "$@"; fi
exec ${quote(process.execPath)} ${quote(entry)} "$@"
`,
  );
  chmodSync(binstub, 0o755);
  say('Created binstub file in bin/sextant');
}

export function registerInitCommand(program: Command, ctx: CliContext): void {
  subcommand(program, 'init', ctx)
    .description('Generate config/deploy.yml, plus a secrets stub and sample hooks under .kamal')
    .option('--bundle', 'Also write bin/sextant, a binstub (Kamal: add the gem to the Gemfile and write bin/kamal)')
    .action((options: { bundle?: boolean }) => {
      const say = (line: string) => ctx.io.out(line);
      initProject(ctx.io.cwd, say);
      if (options.bundle) writeBinstub(ctx.io.cwd, say);
    });
}
