// `docker login` / `docker logout` (lib/kamal/commands/registry.rb). The same lines run locally
// (before a build) and on servers (before a pull, an accessory boot, a proxy boot).
//
// Kamal marks the user name AND the password as sensitive, wherever they come from, so both show
// as `[REDACTED]` in output. A value read from the secrets gets every `$` escaped (`secret()`); a
// value written in the config is escaped the way Kamal escapes it (`value()`), only hidden.

import type { Credential, RegistryConfig } from '../config/types.ts';
import { docker, secret, sensitive, value, type Command, type Part } from './command.ts';

/** Looks a secret up by name (the caller owns the secrets files); throws when it is missing. */
export type SecretLookup = (name: string) => string;

export type RegistryLoginInput = {
  readonly registry: RegistryConfig;
  readonly secrets: SecretLookup;
};

/** `docker login [server] -u "<user>" -p "<password>"`. */
export function login({ registry, secrets }: RegistryLoginInput): Command {
  return docker(
    'login',
    registry.server,
    '-u',
    credentialPart(registry.username, secrets),
    '-p',
    credentialPart(registry.password, secrets),
  );
}

/** `docker logout [server]`. */
export function logout(registry: RegistryConfig): Command {
  return docker('logout', registry.server);
}

function credentialPart(credential: Credential, secrets: SecretLookup): Part {
  return 'value' in credential ? sensitive(value(credential.value)) : secret(secrets(credential.secret));
}
