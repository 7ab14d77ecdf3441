// Server-level commands (lib/kamal/commands/server.rb, and the Docker checks `kamal server
// bootstrap` sends from commands/docker.rb).

import type { Config } from '../config/types.ts';
import { argv, docker, or, pipe, raw, script, shell, shellCode, type Command } from './command.ts';

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

/** `docker -v`: fails when Docker is not installed. */
export function dockerInstalled(): Command {
  return docker('-v');
}

/** `docker version`: fails when the Docker daemon is not running. */
export function dockerRunning(): Command {
  return docker('version');
}

/** Root, or sudo/su available: sent as one unmapped line (its first token holds spaces). */
export function superuser(): Command {
  return script('[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
}

/** `sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh` */
export function installDocker(): Command {
  const getDocker = or(
    argv('curl', '-fsSL', 'https://get.docker.com'),
    argv('wget', raw('-O -'), 'https://get.docker.com'),
    argv('echo', raw('"exit 1"')),
  );
  return pipe(shell(getDocker), argv('sh'));
}

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
