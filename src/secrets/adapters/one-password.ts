// 1Password (`op`). Secret references are `[op://]Vault/Item[/Section/Field]`; the field defaults
// to `password`. One `op item get` per item, asking for all of its fields by label.
import { UserError } from '../../errors.ts';
import { chomp, isBlank, rubySplit } from '../ruby.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

type Session = string | undefined;

export const onePassword: SecretsAdapter<Session> = {
  requiresAccount: true,

  async checkDependencies(context) {
    await requireCli(context, ['op', '--version'], '1Password CLI is not installed');
  },

  async login(account, context) {
    const acct = account ?? '';
    if (succeeded(await context.run({ argv: ['op', 'account', 'get', '--account', acct] }))) return undefined;
    const signin = await context.run({ argv: ['op', 'signin', '--account', acct, '--force', '--raw'], interactive: true });
    if (!succeeded(signin)) throw new UserError('Failed to login to 1Password');
    const session = chomp(signin.stdout);
    return isBlank(session) ? undefined : session;
  },

  async fetchSecrets(secrets, { from, account, session }, context) {
    const results = new Map<string, string>();
    for (const [vault, items] of vaultsItemsFields(prefixedSecrets(secrets, from))) {
      for (const [item, fields] of items) {
        const output = await itemGet(vault, item, fields, account ?? '', session, context);
        const parsed = fields.length === 1 ? [output] : output;
        if (!Array.isArray(parsed)) throw new UserError(`Unexpected output from \`op item get ${item}\``);
        for (const field of parsed) {
          if (!isRecord(field)) continue;
          // The reference is `op://vault/item/[section/]field`
          const key = stripSuffix(stripPrefix(stringValue(field['reference']), 'op://'), '/password');
          results.set(key, stringValue(field['value']));
        }
      }
    }
    return results;
  },
};

function vaultsItemsFields(secrets: string[]): Map<string, Map<string, string[]>> {
  const vaults = new Map<string, Map<string, string[]>>();
  for (const secret of secrets) {
    const [vault = '', item = '', ...fields] = rubySplit(stripPrefix(secret, 'op://'), '/');
    if (fields.length === 0) fields.push('password');
    const items = vaults.get(vault) ?? new Map<string, string[]>();
    vaults.set(vault, items);
    const itemFields = items.get(item) ?? [];
    items.set(item, itemFields);
    itemFields.push(fields.join('.'));
  }
  return vaults;
}

async function itemGet(
  vault: string,
  item: string,
  fields: string[],
  account: string,
  session: Session,
  context: AdapterContext,
): Promise<unknown> {
  const labels = fields.map((field) => `label=${field}`).join(',');
  const argv = ['op', 'item', 'get', item, '--vault', vault, '--fields', labels, '--format', 'json', '--account', account];
  if (session !== undefined) argv.push('--session', session);
  const result = await context.run({ argv });
  if (!succeeded(result)) {
    throw new UserError(`Could not read ${fields.join(', ')} from ${item} in the ${vault} 1Password vault`);
  }
  return parseCliJson(result.stdout, argv);
}

function stripPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

function stripSuffix(text: string, suffix: string): string {
  return text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
}
