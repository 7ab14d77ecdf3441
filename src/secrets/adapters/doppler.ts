// Doppler (`doppler`). Project and config come from `--from project/config` (or the first secret's
// leading path), unless DOPPLER_TOKEN is a service token (`dp.st…`), which already pins both.
import { UserError } from '../../errors.ts';
import { inspectStrings, rubySplit } from '../ruby.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

export const doppler: SecretsAdapter<void> = {
  requiresAccount: false,

  async checkDependencies(context) {
    await requireCli(context, ['doppler', '--version'], 'Doppler CLI is not installed');
  },

  async login(_account, context) {
    if (succeeded(await context.run({ argv: ['doppler', 'me', '--json'] }))) return;
    const login = await context.run({ argv: ['doppler', 'login', '-y'], interactive: true });
    if (!succeeded(login)) throw new UserError('Failed to login to Doppler');
  },

  async fetchSecrets(secrets, { from }, context) {
    const names = prefixedSecrets(secrets, from);
    const flags = projectAndConfigFlags(names, context);
    const secretNames = names.map((name) => rubySplit(name, '/').at(-1) ?? '');
    const argv = ['doppler', 'secrets', 'get', ...secretNames, '--json', ...flags];

    const result = await context.run({ argv });
    if (!succeeded(result)) throw new UserError(`Could not read ${inspectStrings(names)} from Doppler`);
    const items = parseCliJson(result.stdout, argv);
    if (!isRecord(items)) throw new UserError(`Could not read ${inspectStrings(names)} from Doppler`);

    const results = new Map<string, string>();
    for (const [key, item] of Object.entries(items)) {
      results.set(key, stringValue(isRecord(item) ? item['computed'] : undefined));
    }
    return results;
  },
};

function projectAndConfigFlags(names: string[], context: AdapterContext): string[] {
  if (context.env['DOPPLER_TOKEN']?.slice(0, 5) === 'dp.st') return [];
  const [project, config] = rubySplit(names[0] ?? '', '/');
  if (project === undefined || config === undefined) {
    throw new UserError("Missing project or config from '--from=project/config' option");
  }
  return ['-p', project, '-c', config];
}
