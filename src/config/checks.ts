import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { RawIssue } from './issues.ts';
import type { DeploySection } from './schema/root.ts';
import { SERVICE_NAME } from './schema/root.ts';
import { proxyRunsOn } from './helpers.ts';
import type { Config } from './types.ts';
import { compareGemVersions, isGemVersion, KAMAL_VERSION } from './version.ts';

const TRAEFIK_HOOKS = ['pre-traefik-reboot', 'post-traefik-reboot'];

/** Checks Kamal makes once the whole configuration is built, in Kamal's order. */
export function configurationChecks(parsed: DeploySection, config: Config): RawIssue[] {
  const issues: RawIssue[] = [];
  const add = (message: string, path: (string | number)[] = []) => issues.push({ path, message });

  // Accessory roles are checked when accessories are built, before the checks below.
  const roleNames = config.roles.map((role) => role.name);
  for (const [name, accessory] of Object.entries(parsed.accessories ?? {})) {
    if (accessory.roles !== undefined) {
      const missing = accessory.roles.filter((role) => !roleNames.includes(role));
      if (missing.length > 0) add(`unknown roles ${missing.join(', ')}`, ['accessories', name]);
    } else if (accessory.role !== undefined && !roleNames.includes(accessory.role)) {
      add(`unknown role ${accessory.role}`, ['accessories', name]);
    }
  }

  if (config.requireDestination && config.destination === undefined) add('You must specify a destination', ['require_destination']);

  if (parsed.service === '') add('Missing required configuration for service', ['service']);
  if (parsed.image === '') add('Missing required configuration for image', ['image']);

  // Where a role's settings live: `servers` for the plain list (one `web` role), else `servers/<role>`.
  const rolePath = (role: string) => (Array.isArray(parsed.servers) ? ['servers'] : ['servers', role]);

  if (parsed.servers === undefined) {
    if (Object.keys(parsed.accessories ?? {}).length === 0) add('No servers or accessories specified', ['servers']);
  } else {
    const primaryName = parsed.primary_role ?? 'web';
    const primary = config.roles.find((role) => role.name === primaryName);
    if (!primary) add(`The primary_role ${primaryName} isn't defined`, parsed.primary_role === undefined ? ['servers'] : ['primary_role']);
    else if (primary.hosts.length === 0) add(`No servers specified for the ${primary.name} primary_role`, rolePath(primary.name));
    else if (!config.allowEmptyRoles) {
      for (const role of [...config.roles].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (role.hosts.length === 0) {
          add(`No servers specified for the ${role.name} role. You can ignore this with allow_empty_roles: true`, rolePath(role.name));
        }
      }
    }
  }

  if (config.minimumVersion !== undefined) {
    if (!isGemVersion(config.minimumVersion)) add(`Malformed version number string ${config.minimumVersion}`, ['minimum_version']);
    else if (compareGemVersions(config.minimumVersion, KAMAL_VERSION) > 0) {
      add(`Current version is ${KAMAL_VERSION}, minimum required is ${config.minimumVersion}`, ['minimum_version']);
    }
  }

  if (config.retainContainers < 1) add('Must retain at least 1 container', ['retain_containers']);

  // Sextant's own check (Kamal has none): with no start allowed, no connection would ever open.
  const maxStarts = parsed.sshkit?.max_concurrent_starts;
  if (maxStarts !== undefined && maxStarts < 1) add('should be at least 1', ['sshkit', 'max_concurrent_starts']);

  if (parsed.service !== '' && !SERVICE_NAME.test(parsed.service)) {
    add('Service name can only include alphanumeric characters, hyphens, and underscores', ['service']);
  }

  const traefikHooks = TRAEFIK_HOOKS.filter((hook) => existsSync(resolvePath(config.cwd, config.hooksPath, hook)));
  if (traefikHooks.length > 0) add(`Found ${traefikHooks.join(', ')}, these should be renamed to (pre|post)-proxy-reboot`, ['hooks_path']);

  // The `ssl` key that switched SSL on for a role: the role's own proxy setting, else the root one.
  const sslPath = (role: string) => {
    const settings = parsed.servers === undefined || Array.isArray(parsed.servers) ? undefined : parsed.servers[role];
    const own = settings === undefined || Array.isArray(settings) ? undefined : settings.proxy;
    return typeof own === 'object' && own !== null && own.ssl !== undefined ? [...rolePath(role), 'proxy', 'ssl'] : ['proxy', 'ssl'];
  };
  const alphabetical = [...config.roles].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const role of alphabetical) {
    // A custom certificate (Kamal 2.7) can be served from any number of servers.
    if (role.runsProxy && role.ssl && role.hosts.length > 1 && !role.proxy?.customCertificate) {
      add(`SSL is only supported on a single server, found ${role.hosts.length} servers for role ${role.name}`, sslPath(role.name));
    }
  }

  const sslHosts = alphabetical.filter((role) => role.ssl).flatMap((role) => role.proxy?.hosts ?? []);
  const counts = new Map<string, number>();
  for (const host of sslHosts) counts.set(host, (counts.get(host) ?? 0) + 1);
  const duplicates = [...counts].filter(([, count]) => count > 1).map(([host]) => host);
  if (duplicates.length > 0) add(`Different roles can't share the same host for SSL: ${duplicates.join(', ')}`, ['proxy']);

  // The tunnel to a local registry is only opened for the app's pulls; certificates are only written for roles.
  for (const accessory of config.accessories) {
    if (accessory.proxy?.customCertificate) {
      add('custom certificates (certificate_pem, private_key_pem) are only supported for roles, not accessories', ['accessories', accessory.name, 'proxy', 'ssl']);
    }
    if (accessory.registry?.local) {
      add(`a local registry (${accessory.registry.server ?? ''}) is only supported as the app's registry: give the accessory's registry a username and password`, ['accessories', accessory.name, 'registry']);
    }
  }

  // Kamal 2.10: one kamal-proxy per host, so its roles and accessories must agree on how it runs.
  for (const host of config.allHosts) {
    const runs = new Set(proxyRunsOn(config, host).map((run) => JSON.stringify(run)));
    if (runs.size > 1) add(`Conflicting proxy run configurations for host ${host}`, ['proxy', 'run']);
  }

  return issues;
}
