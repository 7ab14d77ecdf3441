import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config, Selection } from '../config/index.ts';
import { LocalTransport } from '../remote/local.ts';
import { RecordingTransport, SimulatedServers } from '../remote/recording.ts';
import { SshPool, type SshSettings } from '../remote/ssh.ts';
import type { CommandObserver, LocalRunner, Transport } from '../remote/transport.ts';
import type { Secrets } from '../secrets/index.ts';
import type { LockWait, StepEnv } from './context.ts';
import { EngineBus } from './events.ts';
import { gitUserName, performer } from './git.ts';
import { RunStore } from './run-store.ts';

export interface SessionRequest {
  config: Config;
  selection: Selection;
  secrets: Secrets;
  // Resolved only when something needs it (as Kamal does): `lock status` works outside git.
  version: () => string;
  lockVersion?: () => string;
  command: string;
  cwd: string;
  env: Record<string, string | undefined>;
  skipHooks: boolean;
  dryRun: boolean;
  // Dry runs: where recorded `[host] line`s go as they are issued.
  onDryRunLine?: (line: string) => void;
  // Dry runs: containers that exist before the run (e.g. the rollback target).
  existingContainers?: (host: string) => string[];
  lockMessage?: string;
  // --lock-wait: how long to wait for a deploy's lock, and how often to try it.
  lockWait?: LockWait;
  // A resumed run keeps its id (and so its record and the lock it names).
  runId?: string;
  // Tests and benchmarks supply their own transports (e.g. in memory).
  transports?: (host: string) => Transport;
}

export interface Session {
  env: StepEnv;
  bus: EngineBus;
  runId: string;
  store?: RunStore;
  // Starts the connections to these hosts now, ahead of the commands that will use them (no-op
  // for a dry run and for given transports). A connection that fails is opened again by its first
  // command, which then reports the failure as usual.
  connectEarly(hosts: string[]): void;
  close(): Promise<void>;
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export function runLockMessage(runId: string): string {
  return `Automatic deploy lock (sextant run ${runId})`;
}

// The connection settings of config/deploy.yml's `ssh` and `sshkit` sections.
export function sshSettings(config: Config): SshSettings {
  return {
    user: config.ssh.user,
    port: config.ssh.port,
    keys: config.ssh.keys,
    keyData: config.ssh.keyData,
    keysOnly: config.ssh.keysOnly,
    proxy: config.ssh.proxy,
    keepaliveSeconds: config.ssh.keepaliveInterval,
    maxConcurrentStarts: config.sshkit.maxConcurrentStarts,
    poolIdleTimeoutSeconds: config.sshkit.poolIdleTimeout,
    forwardAgent: config.ssh.forwardAgent,
  };
}

export function openSession(request: SessionRequest): Session {
  const { config, secrets } = request;
  const bus = new EngineBus((text) => secrets.redact(text));
  const runId = request.runId ?? newRunId();
  let nextCommandId = 1;
  const startedAt = new Map<number, number>();
  const observer: CommandObserver = {
    start: (host, line) => {
      const id = nextCommandId++;
      startedAt.set(id, Date.now());
      bus.emit('command.start', { id, host, line, at: Date.now() });
      return id;
    },
    output: (id, host, stream, text) => bus.emit('command.output', { id, host, stream, text }),
    end: (id, host, exitCode) => {
      const durationMs = Date.now() - (startedAt.get(id) ?? Date.now());
      startedAt.delete(id);
      bus.emit('command.end', { id, host, exitCode, durationMs });
    },
  };

  let transport: (host: string) => Transport;
  let local: LocalRunner;
  let close = async () => {};
  let connectEarly = (_hosts: string[]) => {};
  if (request.dryRun) {
    const servers = new SimulatedServers(request.existingContainers, request.onDryRunLine);
    const recorders = new Map<string, RecordingTransport>();
    transport = (host) => recorders.get(host) ?? recorders.set(host, new RecordingTransport(host, servers)).get(host)!;
    local = new RecordingTransport('local', servers);
  } else if (request.transports) {
    transport = request.transports;
    local = new LocalTransport({ cwd: request.cwd, env: request.env, observer, deadlines: config.sextant.deadlines });
  } else {
    const pool = new SshPool(
      { ...sshSettings(config), deadlines: config.sextant.deadlines, downAfterSeconds: config.sextant.retry.downAfter },
      observer,
    );
    const transports = new Map<string, Transport>();
    transport = (host) => transports.get(host) ?? transports.set(host, pool.transport(host)).get(host)!;
    local = new LocalTransport({ cwd: request.cwd, env: request.env, observer, deadlines: config.sextant.deadlines });
    close = () => pool.closeAll();
    connectEarly = (hosts) => pool.warm(hosts);
  }

  const store = request.dryRun ? undefined : new RunStore(join(request.cwd, config.runDirectory, 'runs'), runId, (text) => secrets.redact(text));
  let version: string | undefined;
  let lockVersion: string | undefined;
  const env: StepEnv = {
    config,
    selection: request.selection,
    get version() {
      return (version ??= request.version());
    },
    get lockVersion() {
      return (lockVersion ??= (request.lockVersion ?? request.version)());
    },
    runId,
    secrets,
    transport,
    local,
    bus,
    command: request.command,
    performer: performer(request.cwd),
    lockedBy: gitUserName(request.cwd) || 'Unknown',
    // A recorded run's automatic lock names the run, so that its resume knows the lock as its own.
    lockMessage: request.lockMessage ?? (store ? runLockMessage(runId) : undefined),
    lockInherited: request.env.KAMAL_LOCK === 'true',
    lockWait: request.lockWait,
    skipHooks: request.skipHooks,
    dryRun: request.dryRun,
    startedAt: Date.now(),
    now: () => new Date(),
    sleep: request.dryRun ? async () => {} : (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
  };
  return { env, bus, runId, store, close, connectEarly };
}
