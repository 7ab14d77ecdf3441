// Docker on the servers (Kamal's commands/docker.rb), plus two pieces of commands/base.rb that the app
// and proxy families share: the local docker check and `run_over_ssh`.

import type { SshConfig } from '../config/types.ts';
import { and, argv, bare, docker, or, pipe, quoted, raw, script, shell, squote, word, type Command, type Word } from './command.ts';

/** `docker network create kamal` (an "already exists" failure is expected and ignored by callers). */
export function createNetwork(): Command {
  return docker('network', 'create', 'kamal');
}

/** `docker -v`: fails when the docker client is not installed. */
export function dockerInstalled(): Command {
  return docker('-v');
}

/** `docker version`: fails when the docker daemon is not running. */
export function dockerRunning(): Command {
  return docker('version');
}

/** Whether the login user can install Docker: root, or sudo / su available. */
export function superuser(): Command {
  return script('[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
}

/** Installs Docker with the get.docker.com convenience script. */
export function installDocker(): Command {
  const download = or(
    argv('curl', '-fsSL', 'https://get.docker.com'),
    argv('wget', raw('-O -'), 'https://get.docker.com'),
    argv('echo', raw('"exit 1"')),
  );
  return pipe(shell(download), argv('sh'));
}

/** `docker --version` (local check: "Docker is not installed locally"). */
export function localDockerInstalled(): Command {
  return docker('--version');
}

/** `docker buildx version` (local check: "Docker buildx plugin is not installed locally"). */
export function localBuildxInstalled(): Command {
  return docker('buildx', 'version');
}

/** `docker --version && docker buildx version`: the first local command of a build. */
export function ensureLocalDockerInstalled(): Command {
  return and(localDockerInstalled(), localBuildxInstalled());
}

/**
 * Kamal's `run_over_ssh`: `ssh [-J jump | -o ProxyCommand='…'] [-i key…] [-o IdentitiesOnly=yes]
 * -t <user>@<host> -p <port> '<command>'`, for the interactive `exec` and `logs --follow` forms that
 * Kamal hands to a local `exec`. Render it with `{ mapFirstToken: false }`: it runs locally, not
 * through the remote command mapping.
 */
export function runOverSsh(ssh: SshConfig, host: string, command: Command): Command {
  const proxyArgs: Word[] = ssh.proxy !== undefined
    ? [word('-J'), word(ssh.proxy)]
    : ssh.proxyCommand !== undefined
      ? [word('-o'), word(raw('ProxyCommand='), squote(ssh.proxyCommand))]
      : [];
  const keyArgs = (ssh.keys ?? []).flatMap((key) => [word('-i'), keyPath(key)]);
  const keysOnly = ssh.keysOnly ? [word('-o'), word('IdentitiesOnly=yes')] : [];
  return argv('ssh', proxyArgs, keyArgs, keysOnly, '-t', word(ssh.user, raw('@'), host), '-p', ssh.port, quoted(command));
}

/** A key path, keeping a leading `~/` for the local shell to expand as Kamal's unquoted path does. */
function keyPath(key: string): Word {
  return key.startsWith('~/') ? word(raw('~/'), bare(key.slice(2))) : word(key);
}
