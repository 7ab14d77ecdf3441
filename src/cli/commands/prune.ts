import { Option, type Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant prune …`: Kamal's cli/prune.rb.

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UserError(`Expected a whole number for --retain, got ${value}`);
  return n;
};

export function registerPruneCommands(program: Command, ctx: CliContext): void {
  const prune = subcommand(program, 'prune', ctx).description('Clean up old app images and containers on the servers');
  const leaf = (name: string, description: string) => serverCommandOptions(subcommand(prune, name, ctx)).description(description);

  leaf('all', 'Run the image and container clean-ups together').action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'prune' }, ({ env }) => ops.pruneAll(env)),
  );

  leaf('images', "Delete the app's unused images").action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'prune' }, ({ env }) => ops.pruneImages(env)),
  );

  leaf('containers', 'Delete old stopped containers but keep the n most recent (default 5)')
    .addOption(new Option('--retain <n>', 'How many stopped containers to keep').argParser(integer))
    .action((options: ServerCommandOptions & { retain?: number }, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'prune' }, ({ env }) => ops.pruneContainers(env, options.retain ?? env.config.retainContainers)),
    );
}
