// The testbed's record of itself (which servers exist) and a machine-wide lock, so that `up`,
// `down` and tests in other processes never work on the testbed at the same time.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths, STATE_DIR } from './layout.ts';
import { alive } from './namespaces.ts';
import { sleep, TestbedError } from './exec.ts';

export interface TestbedState {
  version: 1;
  /** Indices of the servers that are up (srv1 → 1). */
  servers: number[];
  /** True when `up` made /run/docker.sock a link to the deployer's daemon (so `down` removes it). */
  linkedRootDockerSocket: boolean;
  upSince: string;
}

export function readState(): TestbedState | undefined {
  if (!existsSync(paths.state)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as TestbedState;
  } catch {
    return undefined;
  }
}

export function writeState(state: TestbedState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(`${paths.state}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${paths.state}.tmp`, paths.state);
}

export function clearState(): void {
  rmSync(paths.state, { force: true });
}

/** Runs `fn` holding the testbed lock (a directory; a lock whose holder died is taken over). */
export async function withLock<T>(fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  mkdirSync(STATE_DIR, { recursive: true });
  const owner = join(paths.lock, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(paths.lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const lockAge = () => {
        try {
          return statSync(paths.lock).mtimeMs;
        } catch {
          return Date.now();
        }
      };
      const holder = existsSync(owner) ? Number(readFileSync(owner, 'utf8')) : undefined;
      if (holder === process.pid) throw new TestbedError('testbed lock taken twice by the same process');
      const orphaned = holder === undefined && Date.now() - lockAge() > 10_000;
      if ((holder !== undefined && !alive(holder)) || orphaned) {
        rmSync(paths.lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new TestbedError(`the testbed is locked by process ${holder ?? '?'} (${paths.lock})`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lock, { recursive: true, force: true });
  }
}
