// `docker login` / `docker logout` (lib/kamal/commands/registry.rb). The same lines run locally
// (before a build) and on servers (before a pull, an accessory boot, a proxy boot).
//
// Kamal marks the user name AND the password as sensitive, wherever they come from, so both show
// as `[REDACTED]` in output. A value read from the secrets gets every `$` escaped (`secret()`); a
// value written in the config is escaped the way Kamal escapes it (`value()`), only hidden.

import type { Credential, RegistryConfig } from '../config/types.ts';
import { docker, or, secret, sensitive, value, and, type Command, type Part } from './command.ts';

/** Looks a secret up by name (the caller owns the secrets files); throws when it is missing. */
export type SecretLookup = (name: string) => string;

export type RegistryLoginInput = {
  readonly registry: RegistryConfig;
  readonly secrets: SecretLookup;
};

/** Whether `docker login` applies: a local registry (Kamal 2.8) has no login. */
export function needsLogin(registry: RegistryConfig): boolean {
  return registry.local === undefined;
}

/** `docker login [server] -u "<user>" -p "<password>"`. */
export function login({ registry, secrets }: RegistryLoginInput): Command {
  if (!registry.username || !registry.password) throw new Error('a local registry has no login (check needsLogin first)');
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

/** The local registry's container on the deployer's docker (Kamal 2.8). */
export const LOCAL_REGISTRY_CONTAINER = 'kamal-docker-registry';
export const LOCAL_REGISTRY_IMAGE = 'registry:3';

/** `docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:<port>:5000 --name kamal-docker-registry registry:3` */
export function localRegistrySetup(port: number): Command {
  return or(
    docker('start', LOCAL_REGISTRY_CONTAINER),
    docker('run', '--detach', '-p', `127.0.0.1:${port}:5000`, '--name', LOCAL_REGISTRY_CONTAINER, LOCAL_REGISTRY_IMAGE),
  );
}

/** `docker stop kamal-docker-registry && docker rm kamal-docker-registry` */
export function localRegistryRemove(): Command {
  return and(docker('stop', LOCAL_REGISTRY_CONTAINER), docker('rm', LOCAL_REGISTRY_CONTAINER));
}
