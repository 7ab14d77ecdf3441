import { appendFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactStrings, type EngineEvent } from './events.ts';

// `.kamal/runs/<id>/` on the operator's machine: the plan, the latest persisted actor snapshot and
// the event log. Everything is redacted before it is written.
export const MACHINE_VERSION = 1;

export interface StoredSnapshot {
  machineVersion: number;
  savedAt: number;
  snapshot: unknown;
}

export class RunStore {
  readonly dir: string;
  private pendingSnapshot: (() => unknown) | undefined;
  private flushScheduled = false;

  constructor(
    runsDir: string,
    readonly runId: string,
    private readonly redact: (text: string) => string,
  ) {
    this.dir = join(runsDir, runId);
    mkdirSync(this.dir, { recursive: true });
    const ignore = join(runsDir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  }

  writePlan(plan: unknown): void {
    this.writeJson('plan.json', plan);
  }

  appendEvent(event: EngineEvent): void {
    appendFileSync(join(this.dir, 'events.jsonl'), `${JSON.stringify(redactStrings(event, this.redact))}\n`);
  }

  // Transitions come in bursts (one event moves many actors); taking and writing the snapshot
  // once per burst keeps the cost linear while a killed run loses at most the current tick.
  saveSnapshot(snapshot: () => unknown): void {
    this.pendingSnapshot = snapshot;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.pendingSnapshot === undefined) return;
    const stored: StoredSnapshot = { machineVersion: MACHINE_VERSION, savedAt: Date.now(), snapshot: this.pendingSnapshot() };
    this.pendingSnapshot = undefined;
    this.writeJson('snapshot.json', stored);
  }

  private writeJson(name: string, value: unknown): void {
    const path = join(this.dir, name);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(redactStrings(value, this.redact), null, 1)}\n`);
    renameSync(`${path}.tmp`, path);
  }
}
