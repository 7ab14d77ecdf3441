import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant details`: proxy, app and accessory containers on every selected host (Kamal's
// cli/main.rb).
export function registerDetailsCommand(program: Command, ctx: CliContext): void {
  serverCommandOptions(subcommand(program, 'details', ctx))
    .description('Print the state of the proxy, app and accessory containers')
    .action((options: ServerCommandOptions, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'details' }, async ({ env }) => {
        const write = (text: string) => ctx.io.out(text);
        const json = outputFormat(options) === 'json';
        const details = await ops.allDetails(env);
        ops.writeHostOutputs(write, details.proxy, { type: 'Proxy', json });
        ops.writeHostOutputs(write, details.app, { type: 'App', json });
        for (const output of details.accessories) ops.writeHostOutputs(write, [output], { type: `Accessory ${output.accessory}`, json });
      }),
    );
}
