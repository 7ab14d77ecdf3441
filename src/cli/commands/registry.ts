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
  const registry = subcommand(program, 'registry', ctx).description('Login and -out of the image registry');
  const leaf = (name: string, description: string) =>
    serverCommandOptions(subcommand(registry, name, ctx))
      .description(description)
      .option('-L, --skip-local', 'Skip local login')
      .option('-R, --skip-remote', 'Skip remote login');

  leaf('login', 'Log in to registry locally and remotely').action((options: RegistryOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'registry' }, ({ env }) =>
      ops.registryLoginEverywhere(env, { skipLocal: options.skipLocal, skipRemote: options.skipRemote }),
    ),
  );

  leaf('logout', 'Log out of registry locally and remotely').action((options: RegistryOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'registry' }, ({ env }) =>
      ops.registryLogoutEverywhere(env, { skipLocal: options.skipLocal, skipRemote: options.skipRemote }),
    ),
  );
}
