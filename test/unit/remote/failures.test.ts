// How remote failures are sorted into transient (retry) and permanent (give up), with the messages
// ssh2, Node's net/dns layer and the docker CLI really print.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyCommandFailure, classifyConnectionError, CommandFailed, RemoteError } from '../../../src/remote/failures.ts';

// An error as Node's net/dns layer raises it (and ssh2 re-emits it with level 'client-socket').
function netError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, errno: -1, level: 'client-socket', ...extra });
}

// An error as ssh2 raises it itself: a message and a level, no code.
function ssh2Error(message: string, level: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { level, ...extra });
}

// ---- connection level -------------------------------------------------------------------------

const transientConnectionErrors: Array<[string, unknown]> = [
  ['connection refused', netError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:22', { syscall: 'connect', address: '10.0.0.1', port: 22 })],
  ['connection reset', netError('ECONNRESET', 'read ECONNRESET', { syscall: 'read' })],
  ['connection aborted', netError('ECONNABORTED', 'connect ECONNABORTED 10.0.0.1:22', { syscall: 'connect' })],
  ['TCP connect timeout', netError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:22', { syscall: 'connect' })],
  ['host unreachable', netError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:22', { syscall: 'connect' })],
  ['network unreachable', netError('ENETUNREACH', 'connect ENETUNREACH 10.0.0.1:22', { syscall: 'connect' })],
  ['host down', netError('EHOSTDOWN', 'connect EHOSTDOWN 10.0.0.1:22', { syscall: 'connect' })],
  ['broken pipe', netError('EPIPE', 'write EPIPE', { syscall: 'write' })],
  ['DNS try again', netError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN web1.example.com', { syscall: 'getaddrinfo', hostname: 'web1.example.com' })],
  ['DNS not found', netError('ENOTFOUND', 'getaddrinfo ENOTFOUND web1.example.com', { syscall: 'getaddrinfo', hostname: 'web1.example.com' })],
  // ssh2's own timeouts and disconnects.
  ['handshake timeout (readyTimeout)', ssh2Error('Timed out while waiting for handshake', 'client-timeout')],
  ['lost keepalives', ssh2Error('Keepalive timeout', 'client-timeout')],
  ['server went away before the handshake', ssh2Error('Connection lost before handshake', 'protocol', { fatal: true })],
  // ssh2 raises a server's SSH_MSG_DISCONNECT with the numeric reason as `code`.
  ['SSH disconnect: connection lost', Object.assign(new Error('CONNECTION_LOST'), { code: 10 })],
  ['SSH disconnect: unknown reason', Object.assign(new Error('Unexpected disconnection reason: 99'), { code: 99 })],
  ['channel callbacks after the socket closed', new Error('No response from server')],
  ['channel open refused by a busy server', Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 2 })],
  ['DNS failure under forceIPv4', ssh2Error("Error while looking up IPv4 address for 'web1': Error: getaddrinfo ENOTFOUND web1", 'client-dns')],
  // Raised by SshTransport itself when a channel closes without an exit status.
  ['connection lost mid-command', new Error('connection lost before the command finished')],
  // Not even an Error.
  ['a bare string', 'socket hang up'],
  ['nothing at all', undefined],
];

for (const [name, error] of transientConnectionErrors) {
  test(`connection: ${name} is transient`, () => {
    assert.is(classifyConnectionError(error), 'transient');
  });
}

const permanentConnectionErrors: Array<[string, unknown]> = [
  ['every auth method refused', ssh2Error('All configured authentication methods failed', 'client-authentication')],
  // ssh2 flags a key it cannot sign with at the authentication level.
  ['a key that cannot sign', ssh2Error('Error while signing with key: error:1E08010C:DECODER routines::unsupported', 'client-authentication')],
  // The auth failure once it has been wrapped (no level any more): the message alone decides.
  ['wrapped auth failure', new RemoteError('[web1] All configured authentication methods failed', 'permanent', 'web1')],
  // OpenSSH's MaxAuthTries: "Received disconnect ... 2: Too many authentication failures".
  ['SSH disconnect: too many authentication failures', Object.assign(new Error('Too many authentication failures'), { code: 2 })],
];

for (const [name, error] of permanentConnectionErrors) {
  test(`connection: ${name} is permanent`, () => {
    assert.is(classifyConnectionError(error), 'permanent');
  });
}

test('connection: a known network code decides, whatever the message says', () => {
  // The message mentions authentication, but the socket reset is what happened.
  const error = netError('ECONNRESET', 'read ECONNRESET during authentication', { syscall: 'read' });
  assert.is(classifyConnectionError(error), 'transient');
});

// ---- a command that ran -----------------------------------------------------------------------

// Docker (or the network under it) is the problem, not the command: worth another try. Each entry
// is what docker or ssh prints; between them they hit every pattern the module knows.
const transientOutputs: Array<[string, string]> = [
  ['docker daemon not running', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'],
  ['docker 1.x daemon not running', "Cannot connect to the Docker daemon. Is 'docker daemon' running on this host?"],
  ['daemon question alone (case-insensitive)', 'docker: IS THE DOCKER DAEMON RUNNING?'],
  [
    'error during connect (DOCKER_HOST over ssh)',
    'error during connect: Post "http://docker.example.com/v1.43/images/create?fromImage=registry.example.com%2Fapp&tag=v2": command [ssh -o ConnectTimeout=30 -T -- deploy@10.0.0.5 docker system dial-stdio] has exited with exit status 255',
  ],
  ['dial tcp refused', 'Error response from daemon: Get "https://registry.example.com/v2/": dial tcp 10.0.0.9:443: connect: connection refused'],
  ['dial tcp i/o timeout', 'Error response from daemon: Get "https://registry.example.com/v2/": dial tcp 10.0.0.9:443: i/o timeout'],
  ['dial unix socket gone', 'Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json": dial unix /var/run/docker.sock: connect: no such file or directory'],
  [
    'connection reset by peer during a pull',
    'error pulling image configuration: download failed after attempts=6: read tcp 172.17.0.2:41234->10.0.0.9:443: read: connection reset by peer',
  ],
  ['read i/o timeout during a pull', 'error pulling image configuration: download failed after attempts=6: read tcp 10.0.0.2:41234->10.0.0.9:5000: i/o timeout'],
  ['TLS handshake timeout', 'Error response from daemon: Get "https://registry.example.com/v2/": net/http: TLS handshake timeout'],
  [
    'request canceled (client timeout)',
    'Error response from daemon: Get "https://registry.example.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)',
  ],
  ['resolver hiccup', 'ssh: Could not resolve hostname registry.example.com: Temporary failure in name resolution'],
  ['context deadline exceeded', 'Error response from daemon: Get "https://registry.example.com/v2/": context deadline exceeded'],
];

for (const [name, stderr] of transientOutputs) {
  test(`command: ${name} is transient`, () => {
    assert.is(classifyCommandFailure(stderr), 'transient');
  });
}

test('command: the daemon message counts on stdout too', () => {
  assert.is(classifyCommandFailure('', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'), 'transient');
  assert.is(classifyCommandFailure('some warning\n', 'Error response from daemon: Get "https://registry.example.com/v2/": context deadline exceeded'), 'transient');
});

// The command ran and said no: retrying cannot help.
const permanentOutputs: Array<[string, string, string?]> = [
  ['a plain non-zero exit with no output', ''],
  ['no such container', 'Error response from daemon: No such container: app-web-6ef8a6a84c525b123c5c2f2a1f2ec3fa3e06e52b'],
  ['name already in use', 'docker: Error response from daemon: Conflict. The container name "/app-web-v2" is already in use by container "3f2a"'],
  [
    'registry refuses the pull',
    "Error response from daemon: pull access denied for app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
  ],
  ['registry login refused', 'Error response from daemon: Get "https://registry.example.com/v2/": unauthorized: incorrect username or password'],
  ['docker missing', 'bash: line 1: docker: command not found'],
  ['deploy lock already held', "mkdir: cannot create directory '.kamal/lock-app': File exists"],
  ['failed health check', '', 'unhealthy'],
  [
    'the SSH user may not use the docker socket',
    'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json": dial unix /var/run/docker.sock: connect: permission denied',
  ],
];

for (const [name, stderr, stdout] of permanentOutputs) {
  test(`command: ${name} is permanent`, () => {
    assert.is(classifyCommandFailure(stderr, stdout), 'permanent');
  });
}

// ---- the error classes ------------------------------------------------------------------------

test('RemoteError carries its kind and host', () => {
  const error = new RemoteError('[web1] connect ECONNREFUSED 10.0.0.1:22', 'transient', 'web1');
  assert.ok(error instanceof Error);
  assert.is(error.name, 'RemoteError');
  assert.is(error.kind, 'transient');
  assert.is(error.host, 'web1');
  assert.is(error.message, '[web1] connect ECONNREFUSED 10.0.0.1:22');
});

test('CommandFailed is a RemoteError that keeps the exit code, output and the kind it was given', () => {
  const stderr = 'Error response from daemon: No such container: app-web-v2\n';
  const error = new CommandFailed('web1', 'docker container stop app-web-v2', 1, '', stderr, classifyCommandFailure(stderr));
  assert.ok(error instanceof RemoteError);
  assert.is(error.name, 'CommandFailed');
  assert.is(error.kind, 'permanent');
  assert.is(error.host, 'web1');
  assert.is(error.exitCode, 1);
  assert.is(error.stderr, stderr);
  assert.is(error.message, '[web1] exit 1: docker container stop app-web-v2\nError response from daemon: No such container: app-web-v2');

  const silent = new CommandFailed('web1', 'false', 1, '', '  \n', 'permanent');
  assert.is(silent.message, '[web1] exit 1: false', 'blank stderr adds nothing to the message');
});

test.run();
