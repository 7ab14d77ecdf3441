// Every remote failure is either transient (worth retrying: the network or a daemon hiccuped) or
// permanent (a command ran and said no, credentials were refused, the config is wrong).
export type FailureKind = 'transient' | 'permanent';

export class RemoteError extends Error {
  override readonly name: string = 'RemoteError';
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly host: string,
    // The socket error's code (ECONNREFUSED, …) when the failure was the connection's.
    readonly code?: string,
  ) {
    super(message);
  }
}

// A host that refused (or could not be reached) on every connection try for `down_after` seconds.
export class HostDown extends RemoteError {
  override readonly name = 'HostDown';
  constructor(host: string, seconds: number, cause: string) {
    super(`[${host}] host down: no connection for ${seconds.toFixed(1)}s (${cause})`, 'permanent', host);
  }
}

// Socket errors that mean "nobody answers there right now", as opposed to a broken session.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT']);

export function isUnreachable(error: unknown): boolean {
  return error instanceof RemoteError && error.kind === 'transient' && error.code !== undefined && UNREACHABLE_CODES.has(error.code);
}

// A command that ran on the host and exited non-zero.
export class CommandFailed extends RemoteError {
  override readonly name = 'CommandFailed';
  constructor(
    host: string,
    readonly display: string,
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
    kind: FailureKind,
  ) {
    super(`[${host}] exit ${exitCode}: ${display}${stderr.trim() ? `\n${stderr.trim()}` : ''}`, kind, host);
  }
}

const TRANSIENT_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

// Errors raised while connecting or while a channel was open (ssh2 / net level).
export function classifyConnectionError(error: unknown): FailureKind {
  const e = error as { code?: string; level?: string; message?: string };
  if (e?.code && TRANSIENT_CONNECTION_CODES.has(e.code)) return 'transient';
  if (e?.level === 'client-authentication') return 'permanent';
  const message = String(e?.message ?? error);
  if (/All configured authentication methods failed|authentication/i.test(message)) return 'permanent';
  // Anything else at the connection level (timeouts, resets, lost keepalives) may pass.
  return 'transient';
}

// Docker's client prints these when the daemon (not the command) is the problem.
const TRANSIENT_COMMAND_OUTPUT = [
  /Cannot connect to the Docker daemon/i,
  /Is the docker daemon running\?/i,
  /error during connect/i,
  /dial (unix|tcp)/i,
  /connection reset by peer/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /net\/http: request canceled/i,
  /temporary failure in name resolution/i,
  /context deadline exceeded/i,
];

// A command that ran: its failure is permanent unless its output blames the daemon or network.
export function classifyCommandFailure(stderr: string, stdout = ''): FailureKind {
  const text = `${stderr}\n${stdout}`;
  // Refused access to the daemon's socket (a user outside the docker group) will not pass by itself.
  if (/permission denied while trying to connect to the Docker daemon/i.test(text)) return 'permanent';
  return TRANSIENT_COMMAND_OUTPUT.some((pattern) => pattern.test(text)) ? 'transient' : 'permanent';
}
