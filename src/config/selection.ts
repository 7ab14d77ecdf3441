import { UserError } from '../errors.ts';
import { filterSpecificItems } from './fnmatch.ts';
import type { Config, RoleConfig } from './types.ts';

export interface SelectOptions {
  /** `-h/--hosts` values (globs allowed). */
  hosts?: string[] | undefined;
  /** `-r/--roles` values (globs allowed). */
  roles?: string[] | undefined;
  /** `-p/--primary`. */
  primary?: boolean | undefined;
}

/** The hosts and roles a command works on, as Kamal's Commander::Specifics computes them. */
export interface Selection {
  /** Selected hosts, hosts of the selection's primary role first. */
  hosts: string[];
  /** Selected role names, the selection's primary role first. */
  roles: string[];
  primaryHost?: string;
  primaryRole?: string;
  /** `config.appHosts` order, limited to the selection. */
  appHosts: string[];
  proxyHosts: string[];
  accessoryHosts: string[];
  /** Hosts matched by `--hosts` (or set by `--primary`), if any. */
  specificHosts?: string[];
  /** Roles matched by `--roles`, if any (e.g. for KAMAL_ROLES). */
  specificRoles?: string[];
}

function alphabetical(config: Config): RoleConfig[] {
  return [...config.roles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function stableSort<T>(items: T[], rank: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ item }) => item);
}

/** Roles (of `roles`) that have `host`. */
export function rolesOn(roles: RoleConfig[], host: string): RoleConfig[] {
  return roles.filter((role) => role.hosts.includes(host));
}

/**
 * Applies Kamal's `-h`, `-r` and `-p` filters: glob matching against all hosts / role names,
 * `--primary` narrowing to one host, and how the primary host and role follow the filters.
 */
export function selectHosts(config: Config, options: SelectOptions = {}): Selection {
  const configRoles = alphabetical(config);
  const primaryConfigRole = configRoles.find((role) => role.name === config.primaryRole);

  let specificHosts: string[] | undefined;
  if (options.hosts && options.hosts.length > 0) {
    specificHosts = filterSpecificItems(options.hosts, config.allHosts);
    if (specificHosts.length === 0) throw new UserError(`No --hosts match for ${options.hosts.join(',')}`);
  }
  let specificRoles: RoleConfig[] | undefined;
  if (options.roles && options.roles.length > 0) {
    const names = filterSpecificItems(options.roles, configRoles.map((role) => role.name));
    if (names.length === 0) throw new UserError(`No --roles match for ${options.roles.join(',')}`);
    specificRoles = names.map((name) => configRoles.find((role) => role.name === name) as RoleConfig);
  }
  const primaryOrFirst = (roles: RoleConfig[]) => roles.find((role) => role === primaryConfigRole) ?? roles[0];

  if (options.primary) {
    const host = specificRoles && specificRoles.length > 0 ? specificRoles[0]?.hosts[0] : config.primaryHost;
    specificHosts = host === undefined ? [] : [host];
  }

  const candidateHosts = specificHosts ?? config.allHosts;
  let roles = (specificRoles ?? configRoles).filter((role) => role.hosts.some((host) => candidateHosts.includes(host)));
  const specificRoleHosts = specificRoles?.flatMap((role) => role.hosts) ?? [];
  let hosts = specificRoleHosts.length > 0 ? candidateHosts.filter((host) => specificRoleHosts.includes(host)) : [...candidateHosts];

  const primarySpecificRole = specificRoles && specificRoles.length > 0 ? primaryOrFirst(specificRoles) : undefined;
  const primaryHost = specificHosts?.[0] ?? primarySpecificRole?.hosts[0] ?? config.primaryHost;
  const primaryRole = primaryHost === undefined ? undefined : primaryOrFirst(rolesOn(roles, primaryHost));

  roles = stableSort(roles, (role) => (role === primaryRole ? 0 : 1));
  hosts = stableSort(hosts, (host) => (rolesOn(roles, host).some((role) => role === primaryRole) ? 0 : 1));

  const selected = new Set(hosts);
  const selection: Selection = {
    hosts,
    roles: roles.map((role) => role.name),
    appHosts: config.appHosts.filter((host) => selected.has(host)),
    proxyHosts: config.proxyHosts.filter((host) => selected.has(host)),
    accessoryHosts: [...new Set(config.accessories.flatMap((accessory) => accessory.hosts))].filter((host) => selected.has(host)),
  };
  if (primaryHost !== undefined) selection.primaryHost = primaryHost;
  if (primaryRole) selection.primaryRole = primaryRole.name;
  if (specificHosts) selection.specificHosts = specificHosts;
  if (specificRoles) selection.specificRoles = specificRoles.map((role) => role.name);
  return selection;
}
