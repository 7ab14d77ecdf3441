import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client, type AuthenticationType, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Command } from '../commands/command.ts';
import { render, renderForDisplay } from '../commands/shell.ts';
import { classifyCommandFailure, classifyConnectionError, CommandFailed, RemoteError } from './failures.ts';
import type { CommandObserver, ExecOptions, ExecResult, Transport } from './transport.ts';

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
}

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
      connection = this.gate.run(() => this.connect(host));
      this.connections.set(host, connection);
      connection.catch(() => this.connections.delete(host));
    }
    return connection;
  }

  // A connection that broke is dropped so the next try opens a new one.
  forget(host: string): void {
    const connection = this.connections.get(host);
    this.connections.delete(host);
    connection?.then((c) => c.end()).catch(() => {});
  }

  async closeAll(): Promise<void> {
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(all.map(async (c) => (await c).end()));
  }

  private touch(host: string): void {
    clearTimeout(this.idleTimers.get(host));
    const timer = setTimeout(() => this.forget(host), this.settings.poolIdleTimeoutSeconds * 1000);
    timer.unref();
    this.idleTimers.set(host, timer);
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
      const client = new Client();
      const fail = (error: Error) => {
        client.end();
        reject(new RemoteError(`[${target.host}] ${error.message}`, classifyConnectionError(error), target.host));
      };
      client.once('ready', () => {
        client.off('error', fail);
        if (target.track === false) client.on('error', () => client.end());
        else {
          client.on('error', () => this.forget(target.host));
          client.on('close', () => this.connections.delete(target.host));
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
        keepaliveInterval: (this.settings.keepaliveSeconds ?? 30) * 1000,
        keepaliveCountMax: 3,
        readyTimeout: (this.settings.connectTimeoutSeconds ?? 20) * 1000,
      });
    });
  }
}

class SshTransport implements Transport {
  constructor(
    readonly host: string,
    private readonly pool: SshPool,
    private readonly observer?: CommandObserver,
  ) {}

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const line = render(command);
    const display = renderForDisplay(command);
    const id = this.observer?.start(this.host, display) ?? 0;
    let result: ExecResult;
    try {
      result = await this.run(line, (stream, text) => {
        options.onOutput?.(stream, text);
        this.observer?.output(id, this.host, stream, text);
      });
    } catch (error) {
      this.observer?.end(id, this.host, -1);
      throw error;
    }
    this.observer?.end(id, this.host, result.exitCode);
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandFailed(this.host, display, result.exitCode, result.stdout, result.stderr, classifyCommandFailure(result.stderr, result.stdout));
    }
    return result;
  }

  async upload(remotePath: string, content: string, mode: number): Promise<void> {
    const client = await this.pool.client(this.host);
    await new Promise<void>((resolve, reject) => {
      client.sftp((error, sftp) => {
        if (error) return reject(this.connectionFailure(error));
        sftp.writeFile(remotePath, content, { mode }, (writeError) => {
          if (writeError) {
            sftp.end();
            return reject(new RemoteError(`[${this.host}] upload of ${remotePath} failed: ${writeError.message}`, 'permanent', this.host));
          }
          // writeFile keeps an existing file's mode; set it explicitly as Kamal's upload does.
          sftp.chmod(remotePath, mode, (chmodError) => {
            sftp.end();
            if (chmodError) reject(new RemoteError(`[${this.host}] chmod of ${remotePath} failed: ${chmodError.message}`, 'permanent', this.host));
            else resolve();
          });
        });
      });
    });
  }

  async uploadDirectory(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void> {
    const remoteDir = `${remoteParent}/${name}`;
    const client = await this.pool.client(this.host);
    await new Promise<void>((resolve, reject) => {
      client.sftp((error, sftp) => {
        if (error) return reject(this.connectionFailure(error));
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

  private async run(line: string, onOutput: (stream: 'stdout' | 'stderr', text: string) => void): Promise<ExecResult> {
    const client = await this.pool.client(this.host);
    return new Promise((resolve, reject) => {
      client.exec(line, (error, channel: ClientChannel) => {
        if (error) return reject(this.connectionFailure(error));
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
          // No exit status means the connection went away mid-command.
          if (exitCode === undefined) reject(this.connectionFailure(new Error('connection lost before the command finished')));
          else resolve({ exitCode, stdout, stderr });
        });
      });
    });
  }

  private connectionFailure(error: Error): RemoteError {
    this.pool.forget(this.host);
    return new RemoteError(`[${this.host}] ${error.message}`, classifyConnectionError(error), this.host);
  }
}
