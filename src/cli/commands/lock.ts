import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant lock …`: Kamal's cli/lock.rb.

export function registerLockCommands(program: Command, ctx: CliContext): void {
  const lock = subcommand(program, 'lock', ctx).description('Inspect, take or release the lock that guards deploys');
  const leaf = (name: string, description: string) => serverCommandOptions(subcommand(lock, name, ctx)).description(description);

  leaf('status', 'Show whether the deploy lock is held, and its details').action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'lock' }, async ({ env }) => {
      const details = await ops.deployLockStatus(env);
      const holder = details === undefined ? undefined : ops.lockHolder(env, details);
      ctx.io.out(details === undefined ? 'There is no deploy lock' : holder ? `${details.trimEnd()}\n${holder}` : details.trimEnd());
    }),
  );

  leaf('acquire', 'Lock deploys until the lock is released')
    .requiredOption('-m, --message <message>', 'Reason for the lock, stored with it')
    .action((options: ServerCommandOptions & { message: string }, command: Command) =>
      withSession(command, ctx.io, { ...options, kamalCommand: 'lock', lockMessage: options.message }, async ({ env }) => {
        await ops.acquireDeployLock(env);
        ctx.io.out('Acquired the deploy lock');
      }),
    );

  leaf('release', 'Remove the deploy lock so deploys can run again').action((options: ServerCommandOptions, command: Command) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'lock' }, async ({ env }) => {
      ctx.io.out((await ops.releaseDeployLock(env)) ? 'Released the deploy lock' : 'There is no deploy lock');
    }),
  );
}
