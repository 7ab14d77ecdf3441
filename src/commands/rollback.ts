// What `sextant rollback` with no VERSION reads from each app host: every container of a role, with
// its creation time and state, so the versions still there can be offered newest first.
import type { Config, RoleConfig } from '../config/types.ts';
import { containerFilterArgs } from './app.ts';
import { docker, raw, type Command } from './command.ts';

// `|` cannot occur in a container name, a creation time or a state.
export const ROLLBACK_LISTING_SEPARATOR = '|';

/** `docker container ls --all <role filters> --format '{{.Names}}|{{.CreatedAt}}|{{.State}}'` */
export function listRoleContainersWithAge(config: Config, role: RoleConfig): Command {
  return docker('container', 'ls', '--all', ...containerFilterArgs(config, role), '--format', raw("'{{.Names}}|{{.CreatedAt}}|{{.State}}'"));
}
