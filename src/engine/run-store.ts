import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { redactStrings, type EngineEvent } from './events.ts';
import type { LogEntry, RunHeader } from './run-record.ts';

// `.kamal/runs/<id>/` on the operator's machine (see run-record.ts for the layout). Every write is
// redacted. Whole files (run.json, plan.json, snapshot*.json) are replaced
// atomically (write, then rename); log.jsonl and events.jsonl are only appended to.
//
// The actor snapshot is kept in parts: snapshot.json holds the deployment actor without its
// children and names a file snapshot.<child>.json for each child (a group of hosts, with its hosts and
// their role swaps); a part is written again only when an actor in it changed. readSnapshot()
// puts the parts back together. Version 2 (one file with the whole tree) is refused by it.
export const MACHINE_VERSION = 3;

export interface StoredSnapshot {
  machineVersion: number;
  savedAt: number;
  snapshot: unknown;
}

// snapshot.json: the root actor's snapshot without children, and the file of each child.
interface StoredRoot extends StoredSnapshot {
  parts: Record<string, string>;
}

type Persisted = { children?: Record<string, unknown> } & Record<string, unknown>;

const partFile = (id: string) => `snapshot.${id.replace(/[^A-Za-z0-9._-]/g, '-')}.json`;

// The actor snapshot is a convenience for people and tools (resume and replay read log.jsonl):
// it is written at most this often, and once more when the run ends.
const SNAPSHOT_INTERVAL_MS = 1000;

export class RunStore {
  readonly dir: string;
  private pendingSnapshot: (() => unknown) | undefined;
  // Which parts of the snapshot changed since the last write: the root, and children by id.
  private rootChanged = false;
  private readonly changedParts = new Set<string>();
  private readonly writtenParts = new Map<string, string>();
  private snapshotTimer: NodeJS.Timeout | undefined;
  private lastSnapshotAt = 0;
  private logFd: number | undefined;
  private eventsFd: number | undefined;
  // events.jsonl lines not yet written: they go out with the next log.jsonl start line, at the end
  // of the current turn of the event loop, or on close — one write instead of one per event.
  private pendingEvents = '';
  // log.jsonl lines not yet written (see log()).
  private pendingLog = '';
  private pendingTimer: NodeJS.Immediate | undefined;
  private made = false;

  constructor(
    runsDir: string,
    readonly runId: string,
    private readonly redact: (text: string) => string,
  ) {
    this.dir = join(runsDir, runId);
  }

  // The folder is made on the first write: a session that records nothing (`lock status`, …)
  // leaves no empty run behind.
  private ensureDir(): void {
    if (this.made) return;
    mkdirSync(this.dir, { recursive: true });
    const ignore = join(this.dir, '..', '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
    this.made = true;
  }

  writeHeader(header: RunHeader): void {
    this.writeJson('run.json', header);
  }

  // The run's end, added to run.json (the summary `sextant runs` lists); a resume clears it.
  finishHeader(summary: Pick<RunHeader, 'endedAt' | 'outcome' | 'hostResults'> | undefined): void {
    const path = join(this.dir, 'run.json');
    if (!existsSync(path)) return;
    const { endedAt: _e, outcome: _o, hostResults: _h, ...header } = JSON.parse(readFileSync(path, 'utf8')) as RunHeader;
    this.writeJson('run.json', { ...header, ...summary });
  }

  writePlan(plan: unknown): void {
    this.writeJson('plan.json', plan);
  }

  // Starts this process's part of the log: the first run, or a resume.
  beginSegment(n: number, mode: 'run' | 'resume', voided?: string[]): void {
    this.log({ e: 'segment', n, mode, pid: process.pid, machine: hostname(), at: Date.now(), ...(voided?.length ? { void: voided } : {}) });
  }

  // log.jsonl is what a resume trusts: a step's start is on disk before the step runs (a resume
  // must know it may have begun), and its end as soon as it has ended (a resume skips it). Machine
  // states, about half the lines, are only compared by replay: they wait for the next of those
  // lines or the end of the current turn of the event loop and go out in the same write. The file
  // is always a prefix of the whole log; a process killed outright may lose its last states, as
  // if it had been killed a moment earlier.
  log(entry: LogEntry): void {
    this.pendingLog += `${JSON.stringify(redactStrings(entry, this.redact))}\n`;
    if (entry.e === 'state') this.pendingTimer ??= setImmediate(() => this.writePending());
    else this.writePending();
  }

  // The bus's events are for people and viewers (resume and replay read log.jsonl), so they are
  // written in batches; a process killed outright may lose the last turn's worth.
  appendEvent(event: EngineEvent): void {
    this.pendingEvents += `${JSON.stringify(redactStrings(event, this.redact))}\n`;
    this.pendingTimer ??= setImmediate(() => this.writePending());
  }

  // Writes what log.jsonl and events.jsonl have waiting, one write each.
  private writePending(): void {
    if (this.pendingTimer) clearImmediate(this.pendingTimer);
    this.pendingTimer = undefined;
    if (this.pendingLog) {
      this.ensureDir();
      this.logFd ??= openSync(join(this.dir, 'log.jsonl'), 'a');
      writeSync(this.logFd, this.pendingLog);
      this.pendingLog = '';
    }
    if (this.pendingEvents) {
      this.ensureDir();
      this.eventsFd ??= openSync(join(this.dir, 'events.jsonl'), 'a');
      writeSync(this.eventsFd, this.pendingEvents);
      this.pendingEvents = '';
    }
  }

  // Taking the whole actor system's snapshot costs time in proportion to its size, so it is taken
  // at most once a second (and by flush() at the end), not per transition. `changed` names the
  // root's child whose part changed (undefined: the root itself).
  saveSnapshot(snapshot: () => unknown, changed?: string): void {
    this.pendingSnapshot = snapshot;
    if (changed === undefined) this.rootChanged = true;
    else this.changedParts.add(changed);
    if (this.snapshotTimer) return;
    const wait = Math.max(0, this.lastSnapshotAt + SNAPSHOT_INTERVAL_MS - Date.now());
    this.snapshotTimer = setTimeout(() => this.flush(), wait);
    this.snapshotTimer.unref();
  }

  flush(): void {
    this.writePending();
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    if (this.pendingSnapshot === undefined) return;
    const { children = {}, ...root } = this.pendingSnapshot() as Persisted;
    const savedAt = Date.now();
    let partsChanged = false;
    for (const [id, child] of Object.entries(children)) {
      if (this.writtenParts.has(id) && !this.changedParts.has(id)) continue;
      const file = partFile(id);
      this.writeJson(file, { savedAt, snapshot: child });
      if (this.writtenParts.get(id) !== file) partsChanged = true;
      this.writtenParts.set(id, file);
    }
    for (const [id, file] of [...this.writtenParts]) {
      if (id in children) continue;
      this.writtenParts.delete(id);
      rmSync(join(this.dir, file), { force: true });
      partsChanged = true;
    }
    if (this.rootChanged || partsChanged) {
      const stored: StoredRoot = { machineVersion: MACHINE_VERSION, savedAt, snapshot: { ...root, children: {} }, parts: Object.fromEntries(this.writtenParts) };
      this.writeJson('snapshot.json', stored);
    }
    this.pendingSnapshot = undefined;
    this.rootChanged = false;
    this.changedParts.clear();
    this.lastSnapshotAt = Date.now();
  }

  close(): void {
    this.flush();
    for (const fd of [this.logFd, this.eventsFd]) if (fd !== undefined) closeSync(fd);
    this.logFd = this.eventsFd = undefined;
  }

  private writeJson(name: string, value: unknown): void {
    this.ensureDir();
    const path = join(this.dir, name);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(redactStrings(value, this.redact), null, 1)}\n`);
    renameSync(`${path}.tmp`, path);
  }
}

// The actor snapshot stored in `dir` (a run's folder), its parts put back together; undefined when
// none was written. A snapshot of another format is refused with a message saying so.
export function readSnapshot(dir: string): StoredSnapshot | undefined {
  const path = join(dir, 'snapshot.json');
  if (!existsSync(path)) return undefined;
  const stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredRoot>;
  if (stored.machineVersion !== MACHINE_VERSION || typeof stored.parts !== 'object' || stored.parts === null) {
    throw new Error(
      `${path}: a snapshot of format ${String(stored.machineVersion)}, written by another Sextant; this one reads format ${MACHINE_VERSION} (snapshot.json and snapshot.<part>.json). Resume and replay do not need it (they read log.jsonl).`,
    );
  }
  const children: Record<string, unknown> = {};
  for (const [id, file] of Object.entries(stored.parts)) {
    children[id] = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { snapshot: unknown }).snapshot;
  }
  return { machineVersion: stored.machineVersion, savedAt: stored.savedAt ?? 0, snapshot: { ...(stored.snapshot as Persisted), children } };
}
