// Server-level commands (lib/kamal/commands/server.rb), the Docker checks `kamal server bootstrap`
// sends, and `kamal server exec`.

import type { Config } from '../config/types.ts';
import { argv, pipe, shellCode, type Command } from './command.ts';

type RunDirectoryConfig = Pick<Config, 'runDirectory'>;

/** `mkdir -p .kamal` on every targeted host before any lock. */
export function ensureRunDirectory(config: RunDirectoryConfig): Command {
  return argv('mkdir', '-p', config.runDirectory);
}

/** `.kamal/apps` */
export function appsDirectory(config: RunDirectoryConfig): string {
  return `${config.runDirectory}/apps`;
}

/** `.kamal/apps/<service>[-<destination>]` */
export function appDirectory(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): string {
  return `${appsDirectory(config)}/${config.serviceAndDestination}`;
}

/** `rm -r .kamal/apps/<svc[-dest]>` (`kamal app remove`). */
export function removeAppDirectory(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): Command {
  return argv('rm', '-r', appDirectory(config));
}

/** `ls .kamal/apps | wc -l` (`kamal proxy remove` refuses while apps remain). */
export function appDirectoryCount(config: RunDirectoryConfig): Command {
  return pipe(argv('ls', appsDirectory(config)), argv('wc', '-l'));
}

// The Docker checks of `kamal server bootstrap` live with the other docker commands; re-exported
// here because the bootstrap is a server operation: `docker -v`, then (only if that fails) the
// superuser check and the get.docker.com install.
export { dockerInstalled, dockerRunning, installDocker, superuser } from './docker.ts';

/**
 * `kamal server exec <cmd>`: the operator's command, sent as written (Kamal joins the words with
 * single spaces after stripping each). A one-word command gets `/usr/bin/env ` like any other.
 */
export function exec(command: string | readonly string[]): Command {
  const text = typeof command === 'string' ? command : joinCommandWords(command);
  return argv(shellCode(text));
}

/** Kamal's Utils.join_commands: each word stripped, joined with single spaces. */
export function joinCommandWords(words: readonly string[]): string {
  return words.map((item) => item.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, '')).join(' ');
}
