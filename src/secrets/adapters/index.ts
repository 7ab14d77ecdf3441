// `--adapter NAME` → adapter, the way Kamal resolves it: a few lower-cased aliases, otherwise the
// name camelized (ActiveSupport rules) must be one of the adapter class names.
import { UserError } from '../../errors.ts';
import { awsSecretsManager } from './aws-secrets-manager.ts';
import type { SecretsAdapter } from './base.ts';
import { bitwardenSecretsManager } from './bitwarden-secrets-manager.ts';
import { bitwarden } from './bitwarden.ts';
import { doppler } from './doppler.ts';
import { enpass } from './enpass.ts';
import { gcpSecretManager } from './gcp-secret-manager.ts';
import { lastPass } from './last-pass.ts';
import { onePassword } from './one-password.ts';
import { passbolt } from './passbolt.ts';
import { testAdapter } from './test.ts';

const BY_CLASS_NAME: Record<string, SecretsAdapter<any>> = {
  OnePassword: onePassword,
  Bitwarden: bitwarden,
  BitwardenSecretsManager: bitwardenSecretsManager,
  LastPass: lastPass,
  AwsSecretsManager: awsSecretsManager,
  GcpSecretManager: gcpSecretManager,
  Doppler: doppler,
  Enpass: enpass,
  Passbolt: passbolt,
  Test: testAdapter,
};

const ALIASES: Record<string, string> = {
  '1password': 'one_password',
  lastpass: 'last_pass',
  gcp: 'gcp_secret_manager',
  'bitwarden-sm': 'bitwarden_secrets_manager',
};

export function lookupAdapter(name: string): SecretsAdapter<any> {
  const resolved = ALIASES[name.toLowerCase()] ?? name;
  const adapter = Object.hasOwn(BY_CLASS_NAME, camelize(resolved)) ? BY_CLASS_NAME[camelize(resolved)] : undefined;
  if (!adapter) throw new UserError(`Unknown secrets adapter: ${resolved}`);
  return adapter;
}

/** The adapter names Kamal documents (the ones `--adapter` accepts, aliases included). */
export const ADAPTER_NAMES = [
  '1password',
  'one_password',
  'bitwarden',
  'bitwarden-sm',
  'bitwarden_secrets_manager',
  'lastpass',
  'last_pass',
  'aws_secrets_manager',
  'gcp',
  'gcp_secret_manager',
  'doppler',
  'enpass',
  'passbolt',
  'test',
] as const;

// ActiveSupport `String#camelize`.
function camelize(term: string): string {
  return term
    .replace(/^[a-z\d]*/, capitalize)
    .replace(/(?:_|(\/))([a-z\d]*)/gi, (_match, slash: string | undefined, word: string) => `${slash ?? ''}${capitalize(word)}`)
    .replaceAll('/', '::');
}

function capitalize(word: string): string {
  return word === '' ? word : word[0]!.toUpperCase() + word.slice(1).toLowerCase();
}

export type { AdapterContext, AdapterOptions, CliCall, CliRunner, SecretsAdapter } from './base.ts';
export { fetchWithAdapter } from './base.ts';
