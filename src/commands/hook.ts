// Local hooks (lib/kamal/commands/hook.rb, cli/base.rb `run_hook`, lib/kamal/tags.rb): the command
// `/usr/bin/env <hooks_path>/<name>` run in the working directory, and the KAMAL_* environment it
// gets. Everything that changes between runs (time, performer, hosts, lock) is a parameter.

import type { Config } from '../config/types.ts';
import { argv, type Command } from './command.ts';
import { iso8601 } from './lock.ts';

/** Every hook Kamal 2.6.0 runs. */
export const HOOK_NAMES = [
  'docker-setup',
  'post-app-boot',
  'post-deploy',
  'post-proxy-reboot',
  'pre-app-boot',
  'pre-build',
  'pre-connect',
  'pre-deploy',
  'pre-proxy-reboot',
] as const;

export type HookName = (typeof HOOK_NAMES)[number];

/** `<hooks_path>/<name>` (Ruby File.join: no doubled `/`). */
export function hookFile(config: Pick<Config, 'hooksPath'>, name: string): string {
  const base = config.hooksPath.length > 1 ? config.hooksPath.replace(/\/+$/, '') : config.hooksPath;
  return base.endsWith('/') ? `${base}${name}` : `${base}/${name}`;
}

/** `/usr/bin/env .kamal/hooks/<name>` once rendered. */
export function hookCommand(config: Pick<Config, 'hooksPath'>, name: string): Command {
  return argv(hookFile(config, name));
}

/** The version as shown in `KAMAL_SERVICE_VERSION`: the first 7 characters unless it contains `_`. */
export function abbreviatedVersion(version: string): string {
  return version.includes('_') ? version : version.slice(0, 7);
}

export type HookEnvironmentInput = {
  readonly config: Pick<Config, 'service' | 'destination'>;
  readonly version: string;
  /** A Date, or an ISO 8601 text used as is. */
  readonly recordedAt: Date | string;
  /** `git config user.email`, or `whoami` when that is empty. */
  readonly performer: string;
  /** Joined with `,` (all selected hosts, or the boot group / proxy reboot group). */
  readonly hosts: readonly string[];
  /** Only when `--roles` was given. */
  readonly roles?: readonly string[];
  /** The top-level command: `deploy`, `app`, `lock`, … */
  readonly command: string;
  /** Effectively never set by Kamal 2.6.0 (see KAMAL-FACTS §2.5). */
  readonly subcommand?: string;
  /** Whether this process holds the deploy lock. */
  readonly lock: boolean;
  /** post-deploy: whole seconds. */
  readonly runtime?: number | string;
  /** pre-deploy / post-deploy: every secret from the secrets files, unprefixed. */
  readonly secrets?: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]>;
};

/** The environment a hook runs with, keys in Kamal's order; unset values are left out. */
export function hookEnvironment(input: HookEnvironmentInput): Record<string, string> {
  const { config, version } = input;
  const tags: Array<[string, string | undefined]> = [
    ['RECORDED_AT', iso8601(input.recordedAt)],
    ['PERFORMER', input.performer],
    ['DESTINATION', config.destination],
    ['VERSION', version],
    ['SERVICE_VERSION', `${config.service}@${abbreviatedVersion(version)}`],
    ['SERVICE', config.service],
    ['HOSTS', input.hosts.join(',')],
    ['ROLES', input.roles?.join(',')],
    ['LOCK', String(input.lock)],
    ['COMMAND', input.command],
    ['SUBCOMMAND', input.subcommand],
    ['RUNTIME', input.runtime === undefined ? undefined : String(input.runtime)],
  ];
  const env: Record<string, string> = {};
  for (const [name, tagValue] of tags) if (tagValue !== undefined) env[`KAMAL_${name}`] = tagValue;
  const secrets = input.secrets === undefined ? [] : Array.isArray(input.secrets) ? input.secrets : Object.entries(input.secrets);
  for (const [name, secretValue] of secrets as ReadonlyArray<readonly [string, string]>) env[name] = secretValue;
  return env;
}
