import { Command } from 'commander';
import type { CliIO } from './io.ts';
import { addGlobalOptions } from './options.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerSecretsCommands } from './commands/secrets.ts';
import { registerDeployCommands } from './commands/deploy.ts';
import { registerAppCommands } from './commands/app.ts';
import { registerProxyCommands } from './commands/proxy.ts';
import { registerLockCommands } from './commands/lock.ts';
import { registerRegistryCommands } from './commands/registry.ts';
import { registerPruneCommands } from './commands/prune.ts';
import { registerAccessoryCommands } from './commands/accessory.ts';
import { registerServerCommands } from './commands/server.ts';
import { registerBuildCommands } from './commands/build.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerDetailsCommand } from './commands/details.ts';
import { registerRemoveCommand } from './commands/remove.ts';
import { registerRunsCommands } from './commands/runs.ts';
import { registerResumeCommand } from './commands/resume.ts';
import { registerReplayCommand } from './commands/replay.ts';

export interface CliContext {
  io: CliIO;
}

export function newCommand(name: string, ctx: CliContext): Command {
  const command = new Command(name)
    .helpOption('--help', 'Show help for this command')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) });
  return addGlobalOptions(command);
}

// Adds a subcommand that shares the CLI's output, help flag and global options.
export function subcommand(parent: Command, nameAndArgs: string, ctx: CliContext): Command {
  const command = newCommand(nameAndArgs.split(' ')[0] as string, ctx);
  const args = nameAndArgs.split(' ').slice(1);
  for (const arg of args) command.argument(arg);
  parent.addCommand(command);
  return command;
}

export function buildProgram(ctx: CliContext): Command {
  const program = newCommand('sextant', ctx)
    .description('Deploy web apps anywhere, with zero downtime — Kamal 2.6 compatible')
    .showHelpAfterError();
  registerDeployCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerCheckCommand(program, ctx);
  registerInitCommand(program, ctx);
  registerSecretsCommands(program, ctx);
  registerAppCommands(program, ctx);
  registerProxyCommands(program, ctx);
  registerLockCommands(program, ctx);
  registerRegistryCommands(program, ctx);
  registerPruneCommands(program, ctx);
  registerAccessoryCommands(program, ctx);
  registerServerCommands(program, ctx);
  registerBuildCommands(program, ctx);
  registerAuditCommand(program, ctx);
  registerDetailsCommand(program, ctx);
  registerRemoveCommand(program, ctx);
  registerRunsCommands(program, ctx);
  registerResumeCommand(program, ctx);
  registerReplayCommand(program, ctx);
  return program;
}
