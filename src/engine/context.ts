import type { Config, Selection } from '../config/index.ts';
import type { Secrets } from '../secrets/index.ts';
import type { LocalRunner, Transport } from '../remote/transport.ts';
import type { EngineBus } from './events.ts';

// Everything a step needs, fixed for one run. Steps are plain async functions of this.
export interface StepEnv {
  // The run's id (kept by a resumed run): what names this run's containers' hostnames.
  runId?: string;
  config: Config;
  selection: Selection;
  readonly version: string;
  // The version the lock details name: the configured one, even when rolling back to another.
  readonly lockVersion: string;
  secrets: Secrets;
  transport(host: string): Transport;
  local: LocalRunner;
  bus: EngineBus;
  command: string; // KAMAL_COMMAND
  performer: string; // audit and hooks
  lockedBy: string; // lock details
  lockMessage?: string;
  // --lock-wait: how long taking the lock waits for a deploy's lock to be released (absent: not at all).
  lockWait?: LockWait;
  // Set when a parent Sextant/Kamal already holds the lock (KAMAL_LOCK=true).
  lockInherited: boolean;
  skipHooks: boolean;
  dryRun: boolean;
  startedAt: number;
  now(): Date;
  sleep(ms: number): Promise<void>;
  randomHex(bytes: number): string;
}

/** --lock-wait, --lock-wait-timeout, --lock-wait-interval (Kamal 2.12). */
export interface LockWait {
  timeoutSeconds: number;
  intervalSeconds: number;
}
