// AWS Secrets Manager (`aws`). One `batch-get-secret-value` for all names; `--account` is the AWS
// profile. A secret whose string is a JSON object gives one `name/key` entry per key.
import { UserError } from '../../errors.ts';
import { inspectStrings } from '../ruby.ts';
import type { SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

export const awsSecretsManager: SecretsAdapter<void> = {
  requiresAccount: false,

  async checkDependencies(context) {
    await requireCli(context, ['aws', '--version'], 'AWS CLI is not installed');
  },

  async login() {},

  async fetchSecrets(secrets, { from, account }, context) {
    const ids = prefixedSecrets(secrets, from);
    const argv = ['aws', 'secretsmanager', 'batch-get-secret-value', '--secret-id-list', ...ids];
    if (account !== undefined) argv.push('--profile', account);
    argv.push('--output', 'json');

    const result = await context.run({ argv });
    if (!succeeded(result)) throw new UserError(`Could not read ${inspectStrings(ids)} from AWS Secrets Manager`);
    const response = parseCliJson(result.stdout, argv);
    if (!isRecord(response)) throw new UserError(`Could not read ${inspectStrings(ids)} from AWS Secrets Manager`);

    const errors = response['Errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      throw new UserError(
        errors
          .map((error) => (isRecord(error) ? `${stringValue(error['SecretId'])}: ${stringValue(error['Message'])}` : ': '))
          .join(' '),
      );
    }

    const results = new Map<string, string>();
    const values = Array.isArray(response['SecretValues']) ? response['SecretValues'] : [];
    for (const secret of values) {
      if (!isRecord(secret)) continue;
      const name = stringValue(secret['Name']);
      const secretString = stringValue(secret['SecretString']);
      const parsed = parseObject(secretString);
      if (parsed) {
        for (const [key, value] of Object.entries(parsed)) results.set(`${name}/${key}`, stringValue(value));
      } else {
        results.set(name, secretString);
      }
    }
    return results;
  },
};

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
