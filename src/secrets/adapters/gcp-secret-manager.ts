// Google Secret Manager (`gcloud`). Names are `[project/]secret[/version]` (project `default`
// = gcloud's configured project, version `latest`). `--account` is `user[|sa1,sa2…]`: the gcloud
// account (`default` = the active one) and an optional impersonation chain.
import { UserError } from '../../errors.ts';
import { rubyDecode64, rubySplit, rubyStrip } from '../ruby.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, succeeded } from './base.ts';

export const gcpSecretManager: SecretsAdapter<void> = {
  requiresAccount: true,

  async checkDependencies(context) {
    await requireCli(context, ['gcloud', '--version'], 'gcloud CLI is not installed');
  },

  async login(_account, context) {
    if (await loggedIn(context)) return;
    await context.run({ argv: ['gcloud', 'auth', 'login'], interactive: true });
    if (!(await loggedIn(context))) throw new UserError('could not login to gcloud');
  },

  async fetchSecrets(secrets, { from, account }, context) {
    const { user, serviceAccount } = parseAccount(account ?? '');
    const results = new Map<string, string>();
    for (const [project, name, version] of secretsWithMetadata(prefixedSecrets(secrets, from)).values()) {
      const itemName = `${project}/${name}`;
      const argv = ['gcloud', 'secrets', 'versions', 'access', version, `--secret=${name}`];
      if (project !== 'default') argv.push(`--project=${project}`);
      if (user !== 'default') argv.push(`--account=${user}`);
      if (serviceAccount !== undefined) argv.push(`--impersonate-service-account=${serviceAccount}`);
      argv.push('--format=json');

      const result = await context.run({ argv });
      if (!succeeded(result)) throw new UserError(`Could not read ${itemName} from Google Secret Manager`);
      const secret = parseCliJson(rubyStrip(result.stdout), argv);
      const payload = isRecord(secret) ? secret['payload'] : undefined;
      const data = isRecord(payload) ? payload['data'] : undefined;
      if (typeof data !== 'string') throw new UserError(`Could not read ${itemName} from Google Secret Manager`);
      results.set(itemName, rubyDecode64(data).toString('utf8'));
    }
    return results;
  },
};

async function loggedIn(context: AdapterContext): Promise<boolean> {
  const argv = ['gcloud', 'auth', 'list', '--format=json'];
  const accounts = parseCliJson((await context.run({ argv })).stdout, argv);
  if (Array.isArray(accounts)) return accounts.length > 0;
  return isRecord(accounts) && Object.keys(accounts).length > 0;
}

function parseAccount(account: string): { user: string; serviceAccount: string | undefined } {
  const bar = account.indexOf('|');
  if (bar < 0) return { user: account, serviceAccount: undefined };
  return { user: account.slice(0, bar), serviceAccount: account.slice(bar + 1) };
}

// Keyed by the name as given, so a repeated name is fetched once.
function secretsWithMetadata(secrets: string[]): Map<string, [string, string, string]> {
  const items = new Map<string, [string, string, string]>();
  for (const secret of secrets) {
    const parts = rubySplit(secret, '/');
    if (parts.length === 1) parts.unshift('default');
    const [project = '', name = '', version = 'latest'] = parts;
    items.set(secret, [project, name, version]);
  }
  return items;
}

