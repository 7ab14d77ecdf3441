import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant audit`: the tail of the audit log on every selected host (Kamal's cli/main.rb).
export function registerAuditCommand(program: Command, ctx: CliContext): void {
  serverCommandOptions(subcommand(program, 'audit', ctx))
    .description('Print the tail of the audit log from each server')
    .action((options: ServerCommandOptions, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'audit' }, async ({ env }) => {
        ops.writeHostOutputs((text) => ctx.io.out(text), await ops.auditLog(env), { json: outputFormat(options) === 'json' });
      }),
    );
}
