import type { Command } from 'commander';
import { extractSecret, fetchSecrets, loadSecrets, MissingAccountError, printSecrets, shellEscapeJson } from '../../secrets/index.ts';
import { globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';

export function registerSecretsCommands(program: Command, ctx: CliContext): void {
  const secrets = subcommand(program, 'secrets', ctx).description('Helpers for extracting secrets');

  subcommand(secrets, 'fetch [secrets...]', ctx)
    .description('Fetch secrets from a vault (prints shell-escaped JSON for `secrets extract`)')
    .requiredOption('-a, --adapter <adapter>', 'Which vault adapter to use')
    .option('--account <account>', 'The account identifier or username')
    .option('--from <from>', 'A vault or folder to fetch the secrets from')
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
    .description('Extract a single secret from the results of a fetch call')
    .action((name: string, json: string) => ctx.io.out(extractSecret(name, json)));

  subcommand(secrets, 'print', ctx)
    .description('Print the secrets (for debugging: shows real values)')
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      const loaded = await loadSecrets({ cwd: ctx.io.cwd, destination: options.destination, env: ctx.io.env });
      ctx.io.out(printSecrets(loaded));
    });
}
