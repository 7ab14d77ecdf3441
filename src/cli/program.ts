import { Command } from 'commander';
import type { CliIO } from './io.ts';
import { addGlobalOptions } from './options.ts';
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

type Register = (program: Command, ctx: CliContext) => void;

// Each module of the command tree, with the top-level commands it adds, in the order of `--help`.
// Loading a module loads what its commands run (the engine, ssh2, xstate, …), so a run loads only
// the module of the command it names; help, an alias or an unknown word loads them all. A test
// checks that each module adds exactly the names listed here.
export const COMMAND_MODULES: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['setup', 'deploy', 'redeploy', 'rollback'], load: async () => (await import('./commands/deploy.ts')).registerDeployCommands },
  { names: ['config', 'version', 'docs', 'schema'], load: async () => (await import('./commands/config.ts')).registerConfigCommands },
  { names: ['check'], load: async () => (await import('./commands/check.ts')).registerCheckCommand },
  { names: ['init'], load: async () => (await import('./commands/init.ts')).registerInitCommand },
  { names: ['secrets'], load: async () => (await import('./commands/secrets.ts')).registerSecretsCommands },
  { names: ['app'], load: async () => (await import('./commands/app.ts')).registerAppCommands },
  { names: ['proxy'], load: async () => (await import('./commands/proxy.ts')).registerProxyCommands },
  { names: ['lock'], load: async () => (await import('./commands/lock.ts')).registerLockCommands },
  { names: ['registry'], load: async () => (await import('./commands/registry.ts')).registerRegistryCommands },
  { names: ['prune'], load: async () => (await import('./commands/prune.ts')).registerPruneCommands },
  { names: ['accessory'], load: async () => (await import('./commands/accessory.ts')).registerAccessoryCommands },
  { names: ['server'], load: async () => (await import('./commands/server.ts')).registerServerCommands },
  { names: ['build'], load: async () => (await import('./commands/build.ts')).registerBuildCommands },
  { names: ['audit'], load: async () => (await import('./commands/audit.ts')).registerAuditCommand },
  { names: ['details'], load: async () => (await import('./commands/details.ts')).registerDetailsCommand },
  { names: ['remove'], load: async () => (await import('./commands/remove.ts')).registerRemoveCommand },
  { names: ['upgrade'], load: async () => (await import('./commands/upgrade.ts')).registerUpgradeCommand },
  { names: ['runs'], load: async () => (await import('./commands/runs.ts')).registerRunsCommands },
  { names: ['resume'], load: async () => (await import('./commands/resume.ts')).registerResumeCommand },
  { names: ['replay'], load: async () => (await import('./commands/replay.ts')).registerReplayCommand },
];

// The command tree; with `argv`, only the part that names `argv`'s first word when that is a
// command (`sextant deploy -d staging`); anything else (`--help`, an alias, an option first) loads
// the whole tree.
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
  const program = newCommand('sextant', ctx)
    .description('Deploy web apps anywhere, with zero downtime — Kamal 2.6 compatible')
    .showHelpAfterError();
  const first = argv?.[0];
  const named = first === undefined ? undefined : COMMAND_MODULES.find((m) => m.names.includes(first));
  const modules = named ? [named] : COMMAND_MODULES;
  const registers = await Promise.all(modules.map((m) => m.load()));
  for (const register of registers) register(program, ctx);
  return program;
}
