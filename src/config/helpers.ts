import { UserError } from '../errors.ts';
import { secretAlias } from './env.ts';
import type { Config, ProxyRunConfig } from './types.ts';

function roleOf(config: Config, roleName: string) {
  const role = config.roles.find((candidate) => candidate.name === roleName);
  if (!role) throw new UserError(`Unknown role ${roleName}`);
  return role;
}

/** `<service>-<role>[-<destination>]-<version>`, e.g. `app-web-999`. */
export function containerName(config: Config, roleName: string, version: string): string {
  return `${roleOf(config, roleName).containerPrefix}-${version}`;
}

/** Remote env file of a role or an accessory: `.kamal/apps/<service>[-<dest>]/env/{roles,accessories}/<name>.env`. */
export function envFilePath(config: Config, target: { role: string } | { accessory: string }): string {
  const base = `${config.runDirectory}/apps/${config.serviceAndDestination}/env`;
  return 'role' in target ? `${base}/roles/${roleOf(config, target.role).name}.env` : `${base}/accessories/${target.accessory}.env`;
}

/** The boot limit as a host count: a number, or `N%` of all hosts (accessory hosts included), at least 1. */
export function bootLimit(config: Config): number | undefined {
  const limit = config.boot.limit;
  if (!limit) return undefined;
  if ('hosts' in limit) return limit.hosts;
  return Math.max(Math.floor((config.allHosts.length * limit.percent) / 100), 1);
}

/** Splits `hosts` (normally the selection's app hosts) into the groups booted one after another. */
export function bootGroups(config: Config, hosts: string[]): string[][] {
  const limit = bootLimit(config);
  if (limit === undefined) return [hosts];
  const groups: string[][] = [];
  for (let index = 0; index < hosts.length; index += limit) groups.push(hosts.slice(index, index + limit));
  return groups;
}

export interface SecretReference {
  /** Name looked up in the secrets files. */
  secret: string;
  /** Where the config refers to it, e.g. `env/secret/0` or `registry/password`. */
  keyPath: string;
}

/** Every secret the config refers to, so callers can check all are defined before touching a server. */
export function listSecretReferences(config: Config): SecretReference[] {
  const refs: SecretReference[] = [];
  const fromEnv = (entries: string[], path: string) =>
    entries.forEach((entry, index) => refs.push({ secret: secretAlias(entry)[1], keyPath: `${path}/${index}` }));
  const fromRegistry = (registry: Config['registry'] | undefined, path: string) => {
    if (!registry) return;
    if (registry.username && 'secret' in registry.username) refs.push({ secret: registry.username.secret, keyPath: `${path}/username` });
    if (registry.password && 'secret' in registry.password) refs.push({ secret: registry.password.secret, keyPath: `${path}/password` });
  };

  fromRegistry(config.registry, 'registry');
  fromEnv(config.env.secret, 'env/secret');
  for (const tag of config.env.tags) fromEnv(tag.secret, `env/tags/${tag.name}/secret`);
  for (const role of [...config.roles].sort((a, b) => (a.name < b.name ? -1 : 1))) fromEnv(role.env.secret, `servers/${role.name}/env/secret`);
  for (const accessory of config.accessories) {
    fromRegistry(accessory.registry, `accessories/${accessory.name}/registry`);
    fromEnv(accessory.env.secret, `accessories/${accessory.name}/env/secret`);
  }
  config.builder.secrets.forEach((secret, index) => refs.push({ secret, keyPath: `builder/secrets/${index}` }));
  // Custom certificates (Kamal 2.7); the resolved role no longer knows whether its own proxy or the root one named them.
  const certificates = new Set<string>();
  for (const role of config.roles) {
    const custom = role.proxy?.customCertificate;
    if (!custom) continue;
    for (const [secret, key] of [[custom.certificateSecret, 'certificate_pem'], [custom.privateKeySecret, 'private_key_pem']] as const) {
      if (certificates.has(secret)) continue;
      certificates.add(secret);
      refs.push({ secret, keyPath: `proxy/ssl/${key}` });
    }
  }
  return refs;
}

/**
 * The `proxy/run` settings for the kamal-proxy on `host` (Kamal 2.10): the first of its roles', then
 * its accessories'; absent when none has any (the `proxy boot_config` files decide then).
 */
export function proxyRunFor(config: Config, host: string): ProxyRunConfig | undefined {
  return proxyRunsOn(config, host)[0];
}

/** Every `proxy/run` that applies on `host` (Kamal refuses a host where they differ). */
export function proxyRunsOn(config: Config, host: string): ProxyRunConfig[] {
  const roles = config.roles.filter((role) => role.hosts.includes(host)).map((role) => role.proxy);
  const accessories = config.accessories.filter((accessory) => accessory.hosts.includes(host)).map((accessory) => accessory.proxy);
  return [...roles, ...accessories].flatMap((proxy) => (proxy?.run ? [proxy.run] : []));
}
