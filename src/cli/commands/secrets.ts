import type { Command } from 'commander';
import { extractSecret, fetchSecrets, loadSecrets, MissingAccountError, printSecrets, shellEscapeJson } from '../../secrets/index.ts';
import { globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';

export function registerSecretsCommands(program: Command, ctx: CliContext): void {
  const secrets = subcommand(program, 'secrets', ctx).description('Read secrets from a vault and pick single values out of the result');

  subcommand(secrets, 'fetch [secrets...]', ctx)
    .description('Ask a vault for secrets and print them as shell-escaped JSON for `secrets extract`')
    .requiredOption('-a, --adapter <adapter>', 'Name of the vault adapter (e.g. 1password, bitwarden)')
    .option('--account <account>', 'Account ID or user name to sign in with')
    .option('--from <from>', 'Look up the secrets in this vault or folder')
    .action(async (names: string[], options: { adapter: string; account?: string; from?: string }) => {
      try {
        const results = await fetchSecrets({ adapter: options.adapter, account: options.account, from: options.from, names });
        ctx.io.out(shellEscapeJson(results));
      } catch (error) {
        // Kamal says this on stdout and succeeds; scripts may depend on that.
        if (error instanceof MissingAccountError) ctx.io.out(error.message);
        else throw error;
      }
    });

  subcommand(secrets, 'extract <name> <secrets>', ctx)
    .description('Print one secret from the JSON that `secrets fetch` returned')
    .action((name: string, json: string) => ctx.io.out(extractSecret(name, json)));

  subcommand(secrets, 'print', ctx)
    .description('Show the resolved secrets with their real values (for debugging)')
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      const loaded = await loadSecrets({ cwd: ctx.io.cwd, destination: options.destination, env: ctx.io.env });
      ctx.io.out(printSecrets(loaded));
    });
}
