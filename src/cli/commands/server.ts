import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant server …`: Kamal's cli/server.rb.

export function registerServerCommands(program: Command, ctx: CliContext): void {
  const server = subcommand(program, 'server', ctx).description('Bootstrap servers with curl and Docker');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(server, nameAndArgs, ctx)).description(description);

  leaf('exec [cmd...]', 'Run a custom command on the server (use --help to show options)')
    .option('-i, --interactive', 'Run the command interactively (use for console/bash)')
    .action((cmd: string[], options: ServerCommandOptions & { interactive?: boolean }, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'server' }, async ({ env }) => {
        const result = await ops.execOnServers(env, { command: cmd, interactive: options.interactive });
        if (result.kind === 'outputs') {
          ops.writeHostOutputs((text) => ctx.io.out(text), result.outputs, { json: options.output === 'json' });
        } else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      }),
    );

  leaf('bootstrap', 'Set up Docker to run Kamal apps').action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'server' }, ({ env }) => ops.bootstrapServers(env)),
  );
}
