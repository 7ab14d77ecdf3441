// The watchdog: every command a transport runs has a deadline chosen by what the command is. A
// remote command runs under `timeout` on the server, so a command that outlives its deadline is
// killed there too (a docker client stuck on a frozen daemon, a stalled pull), and the local side
// gives up a little later in case the server never answers at all (a link that went dark).
import type { Command, Part, Word } from '../commands/command.ts';
import { RemoteError, type FailureKind } from './failures.ts';

export type DeadlineKind = 'command' | 'pull' | 'proxyDeploy' | 'stop' | 'build' | 'hook' | 'local' | 'unbounded';

/** Seconds per kind; 0 means no deadline. */
export interface Deadlines {
  command: number;
  pull: number;
  proxyDeploy: number;
  stop: number;
  build: number;
  hook: number;
  local: number;
}

// Kamal's defaults (deploy_timeout 30, drain_timeout 30) put through the same derivation as
// src/config's resolveDeadlines; used when a transport is built without a config.
export const DEFAULT_DEADLINES: Deadlines = { command: 30, pull: 300, proxyDeploy: 75, stop: 45, build: 3600, hook: 600, local: 30 };

// Seconds between the TERM and the KILL `timeout` sends on the server.
export const KILL_AFTER_SECONDS = 5;
// How much longer than the deadline the local side waits for the server's answer before it drops
// the connection.
export const LOCAL_GRACE_SECONDS = KILL_AFTER_SECONDS + 5;

const FOLLOW_LOGS = /\blogs\b[^|]*(--follow|\s-f(\s|$))/;

/** What kind of command this is, for its deadline. */
export function deadlineKind(command: Command, line: string, where: 'remote' | 'local', isHook = false): DeadlineKind {
  if (FOLLOW_LOGS.test(line) || /^ssh\s/.test(line)) return 'unbounded';
  if (isHook) return 'hook';
  if (/\bdocker\s+(buildx\s+)?build\b/.test(line)) return 'build';
  if (/\bdocker\s+(image\s+)?pull\b/.test(line)) return 'pull';
  if (/\bkamal-proxy\s+deploy\b/.test(line)) return 'proxyDeploy';
  if (/\bdocker\s+(container\s+)?stop\b/.test(line)) return 'stop';
  // The operator's own code (`app exec`, an accessory's exec) runs as long as it needs, unless it
  // only starts a detached container (a role's `cmd`).
  if (hasOperatorCode(command) && !/\bdocker\s+(container\s+)?run\s+(.*\s)?(--detach|-d)\s/.test(line)) return 'unbounded';
  return where === 'remote' ? 'command' : 'local';
}

export function deadlineSeconds(kind: DeadlineKind, deadlines: Deadlines): number {
  return kind === 'unbounded' ? 0 : deadlines[kind];
}

/** A remote command that timed out is worth retrying (the daemon or the link may come back); a local one is not. */
export function timeoutKind(kind: DeadlineKind): FailureKind {
  return kind === 'build' || kind === 'hook' || kind === 'local' ? 'permanent' : 'transient';
}

export class StepTimedOut extends RemoteError {
  override readonly name = 'StepTimedOut';
  constructor(
    host: string,
    readonly display: string,
    readonly deadlineKind: DeadlineKind,
    readonly seconds: number,
  ) {
    super(`[${host}] timed out after ${seconds}s (${deadlineKind} deadline), killed: ${display}`, timeoutKind(deadlineKind), host);
  }
}

function hasOperatorCode(command: Command): boolean {
  switch (command.kind) {
    case 'argv':
      return command.words.some(wordHasOperatorCode);
    case 'redirect':
    case 'group':
      return hasOperatorCode(command.command);
    default:
      return command.parts.some(hasOperatorCode);
  }
}

function wordHasOperatorCode(word: Word): boolean {
  return word.parts.some(partHasOperatorCode);
}

function partHasOperatorCode(part: Part): boolean {
  switch (part.kind) {
    case 'shellCode':
      return true;
    case 'subst':
    case 'quoted':
      return hasOperatorCode(part.command);
    case 'sensitive':
      return part.parts.some(partHasOperatorCode);
    case 'dquote':
      return part.items.some((item) => typeof item !== 'string' && item.kind === 'subst' && hasOperatorCode(item.command));
    default:
      return false;
  }
}
