import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AuthenticationType, Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { argv, quoted, type Command } from '../commands/command.ts';
import { writeFileCommand } from '../commands/file-write.ts';
import { render, renderForDisplay } from '../commands/shell.ts';
import { driverCommand, RemoteShell, type FrameResult } from './remote-shell.ts';
import { oneAtATime, UPLOADED } from './sequence.ts';
import { newSshClient } from './ssh2-client.ts';
import { classifyCommandFailure, classifyConnectionError, CommandFailed, HostDown, isUnreachable, RemoteError } from './failures.ts';
import { isUpload, type CommandObserver, type ExecOptions, type ExecResult, type SequencedStep, type Transport } from './transport.ts';
import { DEFAULT_DEADLINES, deadlineKind, deadlineSeconds, KILL_AFTER_SECONDS, LOCAL_GRACE_SECONDS, StepTimedOut, type Deadlines } from './watchdog.ts';

// SSH settings as Kamal's `ssh:` and `sshkit:` sections describe them.
export interface SshSettings {
  user: string;
  port: number;
  keys?: string[];
  keyData?: string[];
  keysOnly?: boolean;
  // A bastion: "host", "user@host" or "user@host:port".
  proxy?: string;
  maxConcurrentStarts: number;
  poolIdleTimeoutSeconds: number;
  keepaliveSeconds?: number;
  connectTimeoutSeconds?: number;
  // The watchdog's deadlines (x-sextant.deadlines).
  deadlines?: Deadlines;
  // A host unreachable on every connection try for this long is declared down (x-sextant.retry.down_after).
  downAfterSeconds?: number;
  // ssh/forward_agent (Kamal 2.12): forward the local ssh-agent to the servers.
  forwardAgent?: boolean;
}

/** ssh2's options for agent forwarding: only with `forward_agent: true` and an agent to forward. */
export function agentForwarding(settings: Pick<SshSettings, 'forwardAgent'>, authSock: string | undefined): Pick<ConnectConfig, 'agent' | 'agentForward'> {
  return settings.forwardAgent && authSock ? { agent: authSock, agentForward: true } : {};
}

const DEFAULT_DOWN_AFTER_SECONDS = 5;
// How often a refused connection is tried again while a host is not yet declared down.
const RECONNECT_EVERY_MS = 500;

const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

// Limits how many connections are being opened at once (sshkit.max_concurrent_starts).
export class StartGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(start: () => Promise<T>): Promise<T> {
    // A finishing start hands its slot straight to the next waiter, so a newcomer arriving in
    // between cannot take it as well.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await start();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export function privateKeys(settings: SshSettings): Buffer[] {
  const keys: Buffer[] = (settings.keyData ?? []).map((k) => Buffer.from(k));
  const files = settings.keys?.length ? settings.keys : settings.keysOnly ? [] : DEFAULT_KEY_FILES.map((f) => join(homedir(), '.ssh', f));
  for (const file of files) {
    const path = file.startsWith('~/') ? join(homedir(), file.slice(2)) : file;
    if (existsSync(path)) keys.push(readFileSync(path));
  }
  return keys;
}

export function parseProxy(proxy: string): { user: string; host: string; port: number } {
  const at = proxy.lastIndexOf('@');
  const user = at === -1 ? 'root' : proxy.slice(0, at);
  const rest = at === -1 ? proxy : proxy.slice(at + 1);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest); // [2001:db8::1]:2222
  if (bracketed) return { user, host: bracketed[1] as string, port: Number(bracketed[2] ?? 22) };
  const port = /^([^:]+):(\d+)$/.exec(rest); // host:port; a bare IPv6 address has several colons
  return port ? { user, host: port[1] as string, port: Number(port[2]) } : { user, host: rest, port: 22 };
}

// Tries each private key, then the ssh-agent (unless keys_only), as net-ssh does.
export function authHandler(settings: SshSettings, user: string): ConnectConfig['authHandler'] {
  const methods: Array<{ type: AuthenticationType; username: string; key?: Buffer; agent?: string }> = privateKeys(settings).map((key) => ({
    type: 'publickey',
    username: user,
    key,
  }));
  if (!settings.keysOnly && process.env.SSH_AUTH_SOCK) methods.push({ type: 'agent', username: user, agent: process.env.SSH_AUTH_SOCK });
  let next = 0;
  return () => {
    const method = methods[next++];
    if (!method) return false;
    return method.type === 'agent'
      ? { type: 'agent', username: method.username, agent: method.agent as string }
      : { type: 'publickey', username: method.username, key: method.key as Buffer };
  };
}

// One SSH connection per host, opened on first use and kept for the whole run.
export class SshPool {
  private readonly connections = new Map<string, Promise<Client>>();
  private readonly gate: StartGate;
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  // When each host started refusing connections (cleared by a connection that opens).
  private readonly unreachableSince = new Map<string, number>();
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly settings: SshSettings,
    private readonly observer?: CommandObserver,
  ) {
    this.gate = new StartGate(settings.maxConcurrentStarts);
  }

  transport(host: string): Transport {
    return new SshTransport(host, this, this.observer);
  }

  async client(host: string): Promise<Client> {
    this.touch(host);
    let connection = this.connections.get(host);
    if (!connection) {
      const opening = this.connectRidingOut(host);
      connection = opening;
      this.connections.set(host, opening);
      // Only this very connection's end clears the host's entry: an old connection that closes
      // late must not drop (and so orphan) the one that replaced it.
      opening.then(
        (c) => {
          this.clients.set(host, c);
          c.on('close', () => {
            if (this.connections.get(host) === opening) this.connections.delete(host);
            if (this.clients.get(host) === c) this.clients.delete(host);
          });
        },
        () => {
          if (this.connections.get(host) === opening) this.connections.delete(host);
        },
      );
    }
    return connection;
  }

  /** Opens these hosts' connections now; a failure is left for the first command to meet again. */
  warm(hosts: string[]): void {
    for (const host of hosts) this.client(host).catch(() => {});
  }

  // A connection that broke is dropped so the next try opens a new one. Given the client that
  // broke, a newer connection of the same host is left alone.
  forget(host: string, broken?: Client): void {
    if (broken && this.clients.get(host) !== broken) {
      hangUp(broken);
      return;
    }
    const connection = this.connections.get(host);
    this.connections.delete(host);
    this.clients.delete(host);
    connection?.then(hangUp).catch(() => {});
  }

  async closeAll(): Promise<void> {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    const all = [...this.connections.values()];
    this.connections.clear();
    this.clients.clear();
    await Promise.allSettled(all.map(async (c) => hangUp(await c)));
  }

  private touch(host: string): void {
    clearTimeout(this.idleTimers.get(host));
    const timer = setTimeout(() => this.forget(host), this.settings.poolIdleTimeoutSeconds * 1000);
    timer.unref();
    this.idleTimers.set(host, timer);
  }

  get deadlines(): Deadlines {
    return this.settings.deadlines ?? DEFAULT_DEADLINES;
  }

  // A refused connection is tried again every half second until the host has refused for
  // down_after seconds: a short outage (sshd restarting, a link flapping) is ridden out here, and a
  // host that stays away is declared down with a permanent failure, so no step retries it further.
  // Once declared down, each new request still tries once: a host that answers again is used.
  private async connectRidingOut(host: string): Promise<Client> {
    const downAfterMs = (this.settings.downAfterSeconds ?? DEFAULT_DOWN_AFTER_SECONDS) * 1000;
    for (;;) {
      const tried = Date.now();
      try {
        const client = await this.gate.run(() => this.connect(host));
        this.unreachableSince.delete(host);
        return client;
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        const now = Date.now();
        // From the start of the first failed try: a try that timed out counts whole.
        const since = this.unreachableSince.get(host) ?? tried;
        this.unreachableSince.set(host, since);
        const elapsed = now - since;
        if (elapsed >= downAfterMs) throw new HostDown(host, elapsed / 1000, (error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, Math.min(RECONNECT_EVERY_MS, downAfterMs - elapsed)));
      }
    }
  }

  private async connect(host: string): Promise<Client> {
    if (!this.settings.proxy) return this.open({ host, port: this.settings.port, user: this.settings.user });
    // One bastion connection per target, living exactly as long as the target's connection.
    const bastion = parseProxy(this.settings.proxy);
    const jumpClient = await this.open({ host: bastion.host, port: bastion.port, user: bastion.user, track: false });
    try {
      const sock = await new Promise<NodeJS.ReadableStream & NodeJS.WritableStream>((resolve, reject) => {
        jumpClient.forwardOut('127.0.0.1', 0, host, this.settings.port, (error, stream) => {
          if (error) reject(new RemoteError(`bastion ${bastion.host} could not reach ${host}: ${error.message}`, 'transient', host));
          else resolve(stream);
        });
      });
      const client = await this.open({ host, port: this.settings.port, user: this.settings.user, sock });
      client.once('close', () => jumpClient.end());
      return client;
    } catch (error) {
      jumpClient.end();
      throw error;
    }
  }

  // `track: false` is for a bastion: its failures must not drop a pooled connection of the same host.
  private open(target: { host: string; port: number; user: string; sock?: NodeJS.ReadableStream & NodeJS.WritableStream; track?: boolean }): Promise<Client> {
    return new Promise((resolve, reject) => {
      const client = newSshClient();
      const fail = (error: Error) => {
        hangUp(client);
        reject(new RemoteError(`[${target.host}] ${error.message}`, classifyConnectionError(error), target.host, connectErrorCode(error)));
      };
      client.once('ready', () => {
        client.off('error', fail);
        if (target.track === false) client.on('error', () => client.end());
        else {
          client.on('error', () => this.forget(target.host, client));
          warmUp(client);
        }
        resolve(client);
      });
      client.once('error', fail);
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        sock: target.sock as ConnectConfig['sock'],
        authHandler: authHandler(this.settings, target.user),
        ...agentForwarding(this.settings, process.env.SSH_AUTH_SOCK),
        keepaliveInterval: (this.settings.keepaliveSeconds ?? 30) * 1000,
        keepaliveCountMax: 3,
        // A host that drops packets is given up within about down_after, not after a whole
        // handshake timeout per try.
        readyTimeout: Math.min(this.settings.connectTimeoutSeconds ?? 20, Math.max(5, (this.settings.downAfterSeconds ?? DEFAULT_DOWN_AFTER_SECONDS) + 1)) * 1000,
      });
    });
  }
}

// Ends a connection; one whose server no longer answers (packets dropped) would keep its socket,
// and so the process, alive until TCP gives up: it is destroyed a second later.
function hangUp(client: Client): void {
  client.end();
  // ssh2's destroy() skips a socket that is no longer writable, which end() has made it: the
  // socket itself is destroyed.
  setTimeout(() => (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy(), 1000).unref();
}

// `timeout -k 5 N sh -c '<line>'`: the server kills the command (and its children) at the deadline.
export function underTimeout(command: Command, seconds: number): Command {
  return argv('timeout', '-k', KILL_AFTER_SECONDS, Math.ceil(seconds), 'sh', '-c', quoted(command));
}

function connectErrorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // ssh2 reports a handshake that never completed as a plain timeout.
  return /Timed out while waiting for handshake/i.test(error.message) ? 'ETIMEDOUT' : undefined;
}

// One SFTP channel per connection, opened when the connection is (see warmUp) and kept: opening
// one costs three round trips (channel, subsystem, version), as much again as an upload itself.
const sftpSessions = new WeakMap<Client, Promise<SFTPWrapper>>();

function sftpSession(client: Client): Promise<SFTPWrapper> {
  let session = sftpSessions.get(client);
  if (!session) {
    session = new Promise<SFTPWrapper>((resolve, reject) =>
      client.sftp((error, sftp) => {
        if (error) return reject(error);
        sftp.on('close', () => sftpSessions.delete(client));
        resolve(sftp);
      }),
    );
    session.catch(() => sftpSessions.delete(client));
    sftpSessions.set(client, session);
  }
  return session;
}

// Remote shells (remote-shell.ts) per connection, up to MAX_SHELLS (sshd allows 10 channels per
// connection by default; the SFTP channel and unbounded commands need some too). A command that
// finds none idle runs on its own channel, as it would without them (two round trips, the same as
// starting a shell), and another shell is started for the commands after it.
const MAX_SHELLS = 4;
// Started with the connection, so the first commands and the probes sent together find theirs.
const WARM_SHELLS = 2;
interface Shells {
  idle: RemoteShell[];
  count: number;
  // The server could not run the driver: every command gets its own channel.
  unsupported: boolean;
}
const shellsOf = new WeakMap<Client, Shells>();

function shellsFor(client: Client): Shells {
  let shells = shellsOf.get(client);
  if (!shells) {
    shells = { idle: [], count: 0, unsupported: false };
    shellsOf.set(client, shells);
  }
  return shells;
}

function startShell(client: Client, shells: Shells): void {
  shells.count++;
  const failed = () => {
    shells.count--;
    shells.unsupported = true;
  };
  try {
    client.exec(driverCommand(), (error, channel) => {
      if (error) return failed();
      RemoteShell.start(channel, (closed) => {
        shells.count--;
        shells.idle = shells.idle.filter((s) => s !== closed);
      }).then((shell) => (shell ? shells.idle.push(shell) : failed()));
    });
  } catch {
    failed();
  }
}

/** An idle shell of this connection, or undefined (the caller execs); tops the shells up. */
function takeShell(client: Client): RemoteShell | undefined {
  const shells = shellsFor(client);
  const idle = shells.idle.pop();
  if (!idle && !shells.unsupported && shells.count < MAX_SHELLS) startShell(client, shells);
  return idle;
}

function giveBack(client: Client, shell: RemoteShell): void {
  if (!shell.busy) shellsFor(client).idle.push(shell);
}

// Opens what the connection's commands and uploads will use while the first of them goes out.
function warmUp(client: Client): void {
  const shells = shellsFor(client);
  for (let i = 0; i < WARM_SHELLS; i++) startShell(client, shells);
  sftpSession(client).catch(() => {});
}
// The largest file written through a remote shell rather than SFTP (an env file is far smaller).
const SHELL_UPLOAD_BYTES = 64 * 1024;
// Below ssh2's smallest write size, so one write request carries the whole file.
const SINGLE_WRITE_BYTES = 32 * 1024;

class SshTransport implements Transport {
  constructor(
    readonly host: string,
    private readonly pool: SshPool,
    private readonly observer?: CommandObserver,
  ) {}

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const { line, display, kind, seconds } = this.prepare(command);
    const id = this.observer?.start(this.host, display) ?? 0;
    let result: ExecResult;
    try {
      const started = Date.now();
      result = await this.run(line, seconds, display, kind, this.outputTo(id, options));
      this.checkTimedOut(result, seconds, started, display, kind);
    } catch (error) {
      this.observer?.end(id, this.host, -1);
      throw error;
    }
    return this.finished(id, display, result, options);
  }

  // All frames of one batch on one remote shell: each runs on the server as soon as the one before
  // it has ended, without waiting for its answer to travel back here. Events, deadlines and
  // failures are each command's own, in order, as with `exec`; a checked failure stops the batch
  // on the server too. An upload in the batch is a frame that writes the file (prepareUpload). Without
  // an idle shell, with a command that has no deadline or a file too big for a frame, they go one
  // at a time.
  async execSequence(steps: SequencedStep[]): Promise<ExecResult[]> {
    const prepared = steps.map((step) => (isUpload(step) ? this.prepareUpload(step.upload) : { ...step, ...this.prepare(step.command), uploadPath: undefined }));
    const client = await this.pool.client(this.host);
    const shell = prepared.every((c) => c.seconds > 0) ? takeShell(client) : undefined;
    if (!shell) return oneAtATime(this, steps);
    if (!shell.writesFiles && prepared.some((c) => c.uploadPath !== undefined)) {
      giveBack(client, shell);
      return oneAtATime(this, steps);
    }
    // Output of a command that has not started here yet (the one before it is still being
    // answered) waits for its start event: each command's events come after the one before's end.
    const ids: Array<number | undefined> = prepared.map(() => undefined);
    const held: Array<Array<['stdout' | 'stderr', string]>> = prepared.map(() => []);
    const frames = shell.runBatch(
      prepared.map((c, index) => ({
        line: c.line,
        stopsBatch: c.check !== false,
        stopsOnOutput: c.stopsOnOutput === true,
        onOutput: (stream, text) => {
          const id = ids[index];
          if (id === undefined) held[index]?.push([stream, text]);
          else this.outputTo(id, c)(stream, text);
        },
      })),
    );
    for (const f of frames) f.catch(() => {});
    void Promise.allSettled(frames).then(() => giveBack(client, shell));
    // Every command is on its way now.
    const thens = Promise.all(prepared.map((c) => c.then?.()));
    thens.catch(() => {});
    const results: ExecResult[] = [];
    for (const [index, c] of prepared.entries()) {
      if (c.uploadPath !== undefined) {
        const answer = await this.answered(frames[index] as Promise<FrameResult>, c.seconds, c.display, c.kind, client, shell);
        this.checkUploaded(answer, c.uploadPath);
        results.push(UPLOADED);
        continue;
      }
      const id = this.observer?.start(this.host, c.display) ?? 0;
      ids[index] = id;
      for (const [stream, text] of held[index] ?? []) this.outputTo(id, c)(stream, text);
      let result: ExecResult;
      try {
        const started = Date.now();
        const answer = await this.answered(frames[index] as Promise<FrameResult>, c.seconds, c.display, c.kind, client, shell);
        if (answer === 'skipped') throw new RemoteError(`[${this.host}] ${c.display} was skipped by the remote shell`, 'transient', this.host);
        result = answer;
        this.checkTimedOut(result, c.seconds, started, c.display, c.kind);
      } catch (error) {
        this.observer?.end(id, this.host, -1);
        throw error;
      }
      results.push(this.finished(id, c.display, result, c));
      c.ended?.(result);
      // The frames after it are answered 'skipped' by the shell.
      if (c.stopsOnOutput && result.stdout.trim()) break;
    }
    await thens;
    return results;
  }

  // An upload as a frame of a batch: writeFileCommand's line, run by the remote shell itself (never
  // under `timeout … sh -c`, which would put the content on a command line), under the deadline an
  // upload has. Like uploads, it makes no command events. A file too big for one frame (the shell
  // reads a frame a byte at a time) gets no deadline here, so the sequence goes one at a time.
  private prepareUpload(upload: { path: string; content: string; mode: number }) {
    const small = Buffer.byteLength(upload.content) <= SHELL_UPLOAD_BYTES;
    return {
      // Not rendered for a file that goes over SFTP anyway.
      line: small ? render(writeFileCommand(upload.path, upload.content, upload.mode), { mapFirstToken: false }) : '',
      display: `upload ${upload.path}`,
      kind: 'command' as const,
      seconds: small ? this.pool.deadlines.command : 0,
      check: true,
      uploadPath: upload.path,
      then: undefined,
      onOutput: undefined,
      stopsOnOutput: false,
    };
  }

  private checkUploaded(answer: FrameResult, path: string): void {
    if (answer === 'skipped') throw new RemoteError(`[${this.host}] upload of ${path} was skipped by the remote shell`, 'transient', this.host);
    if (answer.exitCode !== 0) throw new RemoteError(`[${this.host}] upload of ${path} failed: ${answer.stderr.trim() || `exit ${answer.exitCode}`}`, 'permanent', this.host);
  }

  private prepare(command: Command) {
    const line = render(command);
    const kind = deadlineKind(command, line, 'remote');
    const seconds = deadlineSeconds(kind, this.pool.deadlines);
    return { line: seconds > 0 ? render(underTimeout(command, seconds)) : line, display: renderForDisplay(command), kind, seconds };
  }

  private outputTo(id: number, options: ExecOptions) {
    return (stream: 'stdout' | 'stderr', text: string) => {
      options.onOutput?.(stream, text);
      this.observer?.output(id, this.host, stream, text);
    };
  }

  // `timeout` answers 124 when it had to TERM the command, 137 when it had to KILL it.
  private checkTimedOut(result: ExecResult, seconds: number, started: number, display: string, kind: ReturnType<typeof deadlineKind>): void {
    if (seconds > 0 && (result.exitCode === 124 || result.exitCode === 137) && Date.now() - started >= seconds * 1000 - 50) {
      throw new StepTimedOut(this.host, display, kind, seconds);
    }
  }

  private finished(id: number, display: string, result: ExecResult, options: ExecOptions): ExecResult {
    this.observer?.end(id, this.host, result.exitCode);
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandFailed(this.host, display, result.exitCode, result.stdout, result.stderr, classifyCommandFailure(result.stderr, result.stdout));
    }
    return result;
  }

  // One frame's answer under the same client-side watchdog as a single command.
  private answered(
    frame: Promise<FrameResult>,
    seconds: number,
    display: string,
    kind: ReturnType<typeof deadlineKind>,
    client: Client,
    shell: RemoteShell,
  ): Promise<FrameResult> {
    return new Promise((resolve, reject) => {
      const watchdog = setTimeout(() => {
        reject(new StepTimedOut(this.host, display, kind, seconds));
        this.pool.forget(this.host, client);
        shell.close();
      }, (seconds + LOCAL_GRACE_SECONDS) * 1000);
      watchdog.unref();
      frame.then(
        (answer) => {
          clearTimeout(watchdog);
          resolve(answer);
        },
        (error: Error) => {
          clearTimeout(watchdog);
          reject(this.connectionFailure(error, client));
        },
      );
    });
  }

  // Through an idle remote shell when there is one and the server has base64 (one round trip, see
  // prepareUpload), else over SFTP (uploadOverSftp).
  async upload(remotePath: string, content: string, mode: number): Promise<void> {
    const client = await this.pool.client(this.host);
    const prepared = this.prepareUpload({ path: remotePath, content, mode });
    const shell = prepared.seconds > 0 ? takeShell(client) : undefined;
    if (!shell?.writesFiles) {
      if (shell) giveBack(client, shell);
      return this.withinDeadline(`upload ${remotePath}`, () => this.uploadOverSftp(remotePath, content, mode));
    }
    const written = shell.run(prepared.line, () => {});
    void written.then(
      () => giveBack(client, shell),
      () => {},
    );
    this.checkUploaded(await this.answered(written, prepared.seconds, prepared.display, prepared.kind, client, shell), remotePath);
  }

  // Open, then write, set the mode (an existing file keeps its own otherwise; Kamal's upload sets
  // it) and close sent together: two round trips. A file longer than one SFTP write is written
  // before the rest is sent (ssh2 splits it, and the close must come after the last part).
  private async uploadOverSftp(remotePath: string, content: string, mode: number): Promise<void> {
    const client = await this.pool.client(this.host);
    const sftp = await sftpSession(client).catch((error: Error) => {
      throw this.connectionFailure(error, client);
    });
    const data = Buffer.from(content);
    const failed = (what: string) => (error: Error) => new RemoteError(`[${this.host}] ${what} of ${remotePath} failed: ${error.message}`, 'permanent', this.host);
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open(remotePath, 'w', mode, (error, h) => (error ? reject(failed('upload')(error)) : resolve(h))),
    );
    const request = (send: (done: (error?: Error | null) => void) => void, what: string) =>
      new Promise<void>((resolve, reject) => send((error) => (error ? reject(failed(what)(error)) : resolve())));
    const write = request((done) => sftp.write(handle, data, 0, data.length, 0, done), 'upload');
    if (data.length > SINGLE_WRITE_BYTES) await write.catch(() => {});
    const rest = [request((done) => sftp.fchmod(handle, mode, done), 'chmod'), request((done) => sftp.close(handle, done), 'upload')];
    const results = await Promise.allSettled([write, ...rest]);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  async uploadDirectory(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void> {
    return this.withinDeadline(`upload ${remoteParent}/${name}`, () => this.uploadDirectoryNow(remoteParent, name, files, mode));
  }

  private async uploadDirectoryNow(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void> {
    const remoteDir = `${remoteParent}/${name}`;
    const client = await this.pool.client(this.host);
    await new Promise<void>((resolve, reject) => {
      client.sftp((error, sftp) => {
        if (error) return reject(this.connectionFailure(error, client));
        const fail = (what: string, e: Error) => {
          sftp.end();
          reject(new RemoteError(`[${this.host}] ${what}: ${e.message}`, 'permanent', this.host));
        };
        sftp.mkdir(remoteDir, { mode }, () => {
          // An existing directory is fine: files are rewritten, the mode set again.
          sftp.chmod(remoteDir, mode, (chmodError) => {
            if (chmodError) return fail(`chmod of ${remoteDir} failed`, chmodError);
            const names = Object.keys(files);
            const next = (index: number): void => {
              const file = names[index];
              if (file === undefined) {
                sftp.end();
                return resolve();
              }
              const path = `${remoteDir}/${file}`;
              sftp.writeFile(path, files[file] as string, { mode }, (writeError) => {
                if (writeError) return fail(`upload of ${path} failed`, writeError);
                sftp.chmod(path, mode, (e) => (e ? fail(`chmod of ${path} failed`, e) : next(index + 1)));
              });
            };
            next(0);
          });
        });
      });
    });
  }

  async close(): Promise<void> {
    this.pool.forget(this.host);
  }

  private async run(
    line: string,
    seconds: number,
    display: string,
    kind: ReturnType<typeof deadlineKind>,
    onOutput: (stream: 'stdout' | 'stderr', text: string) => void,
  ): Promise<ExecResult> {
    const client = await this.pool.client(this.host);
    // Commands with a deadline (all but the operator's own and followed logs) go to a remote shell.
    const shell = seconds > 0 ? takeShell(client) : undefined;
    return new Promise((resolve, reject) => {
      // The server did not answer within the deadline and its own `timeout` (not even to open the
      // channel): the link or the host is gone. Drop the connection; the next try opens a new one.
      let opened: ClientChannel | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      if (seconds > 0) {
        watchdog = setTimeout(() => {
          reject(new StepTimedOut(this.host, display, kind, seconds));
          this.pool.forget(this.host, client);
          opened?.close();
          shell?.close();
        }, (seconds + LOCAL_GRACE_SECONDS) * 1000);
        watchdog.unref();
      }
      if (shell) {
        shell.run(line, onOutput).then(
          (result) => {
            clearTimeout(watchdog);
            giveBack(client, shell);
            resolve(result);
          },
          (error: Error) => {
            clearTimeout(watchdog);
            reject(this.connectionFailure(error, client));
          },
        );
        return;
      }
      client.exec(line, (error, channel: ClientChannel) => {
        if (error) {
          clearTimeout(watchdog);
          return reject(this.connectionFailure(error, client));
        }
        opened = channel;
        let stdout = '';
        let stderr = '';
        let exitCode: number | undefined;
        channel.on('data', (data: Buffer) => {
          const text = data.toString();
          stdout += text;
          onOutput('stdout', text);
        });
        channel.stderr.on('data', (data: Buffer) => {
          const text = data.toString();
          stderr += text;
          onOutput('stderr', text);
        });
        channel.on('exit', (code: number | null) => {
          exitCode = code ?? undefined;
        });
        channel.on('close', () => {
          clearTimeout(watchdog);
          // No exit status means the connection went away mid-command.
          if (exitCode === undefined) reject(this.connectionFailure(new Error('connection lost before the command finished'), client));
          else resolve({ exitCode, stdout, stderr });
        });
      });
    });
  }

  // An upload (SFTP) gets the deadline of a plain command; past it the connection is dropped, as
  // for a command whose server stopped answering (a dropped link would otherwise hold it until
  // the keepalives fail).
  private withinDeadline(what: string, work: () => Promise<void>): Promise<void> {
    const seconds = this.pool.deadlines.command;
    if (seconds <= 0) return work();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.pool.forget(this.host);
        reject(new StepTimedOut(this.host, what, 'command', seconds));
      }, (seconds + LOCAL_GRACE_SECONDS) * 1000);
      timer.unref();
    });
    return Promise.race([work(), deadline]).finally(() => clearTimeout(timer));
  }

  private connectionFailure(error: Error, client?: Client): RemoteError {
    this.pool.forget(this.host, client);
    return new RemoteError(`[${this.host}] ${error.message}`, classifyConnectionError(error), this.host);
  }
}
