// Enpass (`enpass-cli`), offline: `--from` is the vault path. `Title` gives every password of that
// item (keyed `Title/label`, or `Title` for an unlabelled one); `Title/label` gives just that one.
import { UserError } from '../../errors.ts';
import { isBlank, rubyStrip } from '../ruby.ts';
import type { SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, requireCli, stringValue } from './base.ts';

export const enpass: SecretsAdapter<void> = {
  requiresAccount: false,

  async checkDependencies(context) {
    await requireCli(context, ['enpass-cli', 'version'], 'Enpass CLI is not installed');
  },

  async login() {},

  async fetchSecrets(secrets, { from }, context) {
    if (from === undefined) throw new UserError('The enpass adapter needs the vault path in --from');
    const argv = ['enpass-cli', '-json', '-vault', from, 'show', ...secretTitles(secrets)];
    // Like Kamal, the exit status is not checked: the JSON on stdout decides.
    const result = await context.run({ argv });
    const items = parseCliJson(rubyStrip(result.stdout), argv);
    if (!Array.isArray(items)) throw new UserError('Unexpected output from `enpass-cli show`');

    const results = new Map<string, string>();
    for (const item of items) {
      if (!isRecord(item)) continue;
      const { title, label, password } = item;
      if (title === undefined || title === null || typeof password !== 'string' || isBlank(password)) continue;
      const key = [title, label]
        .filter((part) => part !== undefined && part !== null && part !== '')
        .map(stringValue)
        .join('/');
      if (secrets.includes(stringValue(title)) || secrets.includes(key)) {
        if (results.has(key)) throw new UserError(`${key} is present more than once`);
        results.set(key, password);
      }
    }
    return results;
  },
};

// The item title of each secret: the part before the last `/`, or the whole name.
function secretTitles(secrets: string[]): string[] {
  const titles = new Set<string>();
  for (const secret of secrets) {
    const slash = secret.lastIndexOf('/');
    const before = slash < 0 ? '' : secret.slice(0, slash);
    titles.add(before === '' ? secret.slice(slash + 1) : before);
  }
  return [...titles];
}
