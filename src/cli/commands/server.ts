import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant server …`: Kamal's cli/server.rb.

export function registerServerCommands(program: Command, ctx: CliContext): void {
  const server = subcommand(program, 'server', ctx).description('Prepare the servers with Docker and run ad-hoc commands on them');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(server, nameAndArgs, ctx)).description(description);

  leaf('exec [cmd...]', 'Run a command directly on the servers, outside any container (--help lists the options)')
    .option('-i, --interactive', 'Attach your terminal to the command over ssh (for a console or bash)')
    .action((cmd: string[], options: ServerCommandOptions & { interactive?: boolean }, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'server' }, async ({ env }) => {
        const result = await ops.execOnServers(env, { command: cmd, interactive: options.interactive });
        if (result.kind === 'outputs') {
          ops.writeHostOutputs((text) => ctx.io.out(text), result.outputs, { json: outputFormat(options) === 'json' });
        } else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      }),
    );

  leaf('bootstrap', 'Install Docker on the servers that lack it').action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'server' }, ({ env }) => ops.bootstrapServers(env)),
  );
}
