import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { deployJsonSchema } from '../../config/index.ts';
import { subcommand, type CliContext } from '../program.ts';

const templates = new URL('../templates/', import.meta.url).pathname;

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

export function registerInitCommand(program: Command, ctx: CliContext): void {
  subcommand(program, 'init', ctx)
    .description('Generate config/deploy.yml, plus a secrets stub and sample hooks under .kamal')
    .action(() => initProject(ctx.io.cwd, (line) => ctx.io.out(line)));
}
