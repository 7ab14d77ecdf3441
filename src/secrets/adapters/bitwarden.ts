// Bitwarden (`bw`). Logs in and unlocks when needed; the session from `bw unlock --raw` goes to
// later calls as BW_SESSION in their environment. Secrets are `item` (its login password, or
// every custom field when it has none) or `item/field`.
import { UserError } from '../../errors.ts';
import { isBlank, rubySplit, rubyStrip } from '../ruby.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

type Session = string | undefined;

export const bitwarden: SecretsAdapter<Session> = {
  requiresAccount: true,

  async checkDependencies(context) {
    await requireCli(context, ['bw', '--version'], 'Bitwarden CLI is not installed');
  },

  async login(account, context) {
    let status = await bwStatus(undefined, context);
    if (status === 'unauthenticated') {
      await bw(['login', account ?? ''], undefined, context, true);
      status = await bwStatus(undefined, context);
    }

    let session: Session;
    if (status === 'locked') {
      const unlocked = rubyStrip((await bw(['unlock', '--raw'], undefined, context, true)).stdout);
      session = isBlank(unlocked) ? undefined : unlocked;
      status = await bwStatus(session, context);
    }
    if (status !== 'unlocked') throw new UserError('Failed to login to and unlock Bitwarden');

    if (!succeeded(await bw(['sync'], session, context))) throw new UserError('Failed to sync Bitwarden');
    return session;
  },

  async fetchSecrets(secrets, { from, session }, context) {
    const results = new Map<string, string>();
    for (const [item, fields] of itemsFields(prefixedSecrets(secrets, from))) {
      const argv = ['get', 'item', item];
      const result = await bw(argv, session, context);
      if (!succeeded(result)) throw new UserError(`Could not read ${item} from Bitwarden`);
      const itemJson = parseCliJson(rubyStrip(result.stdout), ['bw', ...argv]);
      if (!isRecord(itemJson)) throw new UserError(`Could not read ${item} from Bitwarden`);

      const login = itemJson['login'];
      const password = isRecord(login) ? login['password'] : undefined;
      const customFields = Array.isArray(itemJson['fields']) ? itemJson['fields'] : [];
      if (fields.some((field) => field !== undefined)) {
        addFields(results, fields, item, customFields);
      } else if (password !== undefined && password !== null && password !== false) {
        results.set(item, stringValue(password));
      } else if (customFields.length > 0) {
        const names = customFields.map((field) => (isRecord(field) ? stringValue(field['name']) : ''));
        addFields(results, names, item, customFields);
      } else {
        throw new UserError(`Item ${item} is not a login type item and no fields were specified`);
      }
    }
    return results;
  },
};

function bw(args: string[], session: Session, context: AdapterContext, interactive = false) {
  return context.run({
    argv: ['bw', ...args],
    ...(session !== undefined ? { env: { BW_SESSION: session } } : {}),
    ...(interactive ? { interactive } : {}),
  });
}

async function bwStatus(session: Session, context: AdapterContext): Promise<unknown> {
  const result = await bw(['status'], session, context);
  const status = parseCliJson(rubyStrip(result.stdout), ['bw', 'status']);
  return isRecord(status) ? status['status'] : undefined;
}

// `item` alone asks for the item's password; Kamal keeps a nil field for it in the list.
function itemsFields(secrets: string[]): Map<string, (string | undefined)[]> {
  const items = new Map<string, (string | undefined)[]>();
  for (const secret of secrets) {
    const [item = '', field] = rubySplit(secret, '/');
    const fields = items.get(item) ?? [];
    items.set(item, fields);
    fields.push(field);
  }
  return items;
}

function addFields(results: Map<string, string>, fields: (string | undefined)[], item: string, customFields: unknown[]) {
  for (const field of fields) {
    const found = customFields.find((f) => isRecord(f) && f['name'] === field);
    if (!isRecord(found)) throw new UserError(`Could not find field ${field ?? ''} in item ${item} in Bitwarden`);
    results.set(`${item}/${field ?? ''}`, stringValue(found['value']));
  }
}
