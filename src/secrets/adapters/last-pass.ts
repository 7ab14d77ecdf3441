// LastPass (`lpass`). Logs in unless `lpass status` says this account is logged in, then fetches
// every secret in one `lpass show … --json`; results are keyed by the entry's `fullname`.
import { UserError } from '../../errors.ts';
import { inspectStrings, rubyStrip } from '../ruby.ts';
import type { SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

export const lastPass: SecretsAdapter<void> = {
  requiresAccount: true,

  async checkDependencies(context) {
    await requireCli(context, ['lpass', '--version'], 'LastPass CLI is not installed');
  },

  async login(account, context) {
    const status = await context.run({ argv: ['lpass', 'status', '--color', 'never'] });
    if (rubyStrip(status.stdout) === `Logged in as ${account}.`) return;
    const login = await context.run({ argv: ['lpass', 'login', account ?? ''], interactive: true });
    if (!succeeded(login)) throw new UserError('Failed to login to LastPass');
  },

  async fetchSecrets(secrets, { from }, context) {
    const names = prefixedSecrets(secrets, from);
    const argv = ['lpass', 'show', ...names, '--json'];
    const result = await context.run({ argv });
    if (!succeeded(result)) throw new UserError(`Could not read ${inspectStrings(names)} from LastPass`);
    const items = parseCliJson(result.stdout, argv);
    if (!Array.isArray(items)) throw new UserError(`Could not read ${inspectStrings(names)} from LastPass`);

    const results = new Map<string, string>();
    for (const item of items) {
      if (isRecord(item)) results.set(stringValue(item['fullname']), stringValue(item['password']));
    }
    const missing = names.filter((name) => !results.has(name));
    if (missing.length > 0) throw new UserError(`Could not find ${missing.join(', ')} in LastPass`);
    return results;
  },
};
