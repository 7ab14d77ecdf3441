import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant registry login|logout`: Kamal's cli/registry.rb.

interface RegistryOptions extends ServerCommandOptions {
  skipLocal?: boolean;
  skipRemote?: boolean;
}

export function registerRegistryCommands(program: Command, ctx: CliContext): void {
  const registry = subcommand(program, 'registry', ctx).description('Handle image registry credentials (login, logout)');
  const leaf = (name: string, description: string) =>
    serverCommandOptions(subcommand(registry, name, ctx))
      .description(description)
      .option('-L, --skip-local', "Don't touch the registry session on this machine")
      .option('-R, --skip-remote', "Don't touch the registry session on the servers");

  leaf('login', 'Log in to the registry here and on the servers').action((options: RegistryOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'registry' }, ({ env }) =>
      ops.registryLoginEverywhere(env, { skipLocal: options.skipLocal, skipRemote: options.skipRemote }),
    ),
  );

  leaf('logout', 'Log out of the registry here and on the servers').action((options: RegistryOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'registry' }, ({ env }) =>
      ops.registryLogoutEverywhere(env, { skipLocal: options.skipLocal, skipRemote: options.skipRemote }),
    ),
  );
}
