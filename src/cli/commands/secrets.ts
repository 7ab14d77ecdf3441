import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { extractSecret, fetchSecrets, loadSecrets, MissingAccountError, printSecrets, shellEscapeJson } from '../../secrets/index.ts';
import { globalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';
import { loadProject } from '../project.ts';

// Kamal's `--inline` hands the value back to the Ruby caller (its secrets file's `$(kamal secrets …)`
// runs in-process) instead of printing it; run from a shell, that prints nothing. Sextant's secrets
// file runs those commands itself, so this is only for scripts that pass it.
const inline = () => new Option('--inline', 'Do not print the value (Kamal returns it to an in-process caller)').hideHelp();

export function registerSecretsCommands(program: Command, ctx: CliContext): void {
  const secrets = subcommand(program, 'secrets', ctx).description('Read secrets from a vault and pick single values out of the result');

  subcommand(secrets, 'fetch [secrets...]', ctx)
    .description('Ask a vault for secrets and print them as shell-escaped JSON for `secrets extract`')
    .requiredOption('-a, --adapter <adapter>', 'Name of the vault adapter (e.g. 1password, bitwarden)')
    .option('--account <account>', 'Account ID or user name to sign in with')
    .option('--from <from>', 'Look up the secrets in this vault or folder')
    .addOption(inline())
    .action(async (names: string[], options: { adapter: string; account?: string; from?: string; inline?: boolean }) => {
      try {
        const results = await fetchSecrets({ adapter: options.adapter, account: options.account, from: options.from, names, env: ctx.io.env, cwd: ctx.io.cwd });
        if (!options.inline) ctx.io.out(shellEscapeJson(results));
      } catch (error) {
        // Kamal says this on stdout and succeeds; scripts may depend on that.
        if (error instanceof MissingAccountError) ctx.io.out(error.message);
        else throw error;
      }
    });

  subcommand(secrets, 'extract <name> <secrets>', ctx)
    .description('Print one secret from the JSON that `secrets fetch` returned')
    .addOption(inline())
    .action((name: string, json: string, options: { inline?: boolean }) => {
      const value = extractSecret(name, json);
      if (!options.inline) ctx.io.out(value);
    });

  subcommand(secrets, 'print', ctx)
    .description('Show the resolved secrets with their real values (for debugging)')
    .action(async (_options: unknown, command: Command) => {
      const options = globalOptions(command);
      // Kamal 2.7 reads them where the config's secrets_path says; without a config, at .kamal/secrets.
      const secretsPath = existsSync(resolve(ctx.io.cwd, options.configFile)) ? loadProject(options, ctx.io).config.secretsPath : undefined;
      const loaded = await loadSecrets({ cwd: ctx.io.cwd, destination: options.destination, env: ctx.io.env, secretsPath });
      ctx.io.out(printSecrets(loaded));
    });
}
