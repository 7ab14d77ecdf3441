import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { confirmed, PROXY_KEPT } from './proxy.ts';

// `sextant remove -y`: Kamal's main `remove` (cli/main.rb). Under one lock: the app's removal
// (`app remove`), the proxy's (`proxy remove`, which still refuses while other apps are installed),
// every accessory's (`accessory remove all`), then a registry logout on the servers only.

export function registerRemoveCommand(program: Command, ctx: CliContext): void {
  serverCommandOptions(subcommand(program, 'remove', ctx))
    .description('Remove the app, kamal-proxy, every accessory and the registry login from the servers')
    .option('-y, --confirmed', "Don't ask for confirmation")
    .action(async (options: ServerCommandOptions & { confirmed?: boolean }, command: Command) => {
      if (!(await confirmed(ctx, options, 'Remove every container and image of the app, kamal-proxy and the accessories?'))) return;
      await withSession(command, ctx.io, { ...options, kamalCommand: 'remove' }, async ({ env }) => {
        await ops.withLock(env, async () => {
          await ops.removeApp(env);
          const proxy = await ops.removeProxy(env, { force: false });
          if (proxy === 'refused') ctx.io.out(PROXY_KEPT);
          await ops.removeAccessory(env, 'all');
          await ops.registryLogoutEverywhere(env, { skipLocal: true });
        });
      });
    });
}
