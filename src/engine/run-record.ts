// What `.kamal/runs/<id>/` holds, and how it is read back (runs, runs show, resume, replay, view).
//
//   run.json   the request, written once before anything runs; rewritten at the end with the
//              outcome (a summary for `sextant runs`, never needed to resume or replay)
//   plan.json  the plan the machines walk
//   log.jsonl  append-only: one line per step start and end (with its result and its commands'
//              redacted output), per machine state, per process that worked on the run
//              (a `segment`: the first run, then each resume) and the run's finish
//   events.jsonl, snapshot*.json  the bus events and a periodic actor snapshot in parts, each part
//              written when it changed (for people and tools; run-store.ts)
//
// A killed process leaves at worst a torn last line, which is ignored: the step it described counts
// as not finished and runs again. Anything else that does not parse marks the run broken.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DeployPlan, StepFailure } from '../../machines/plan.ts';

export const RECORD_FORMAT = 1;

export interface RunRequest {
  // The CLI words the run was started with (redacted), for people.
  argv: string[];
  configFile: string;
  destination?: string;
  hosts?: string[];
  roles?: string[];
  primary?: boolean;
  skipPush: boolean;
  skipHooks: boolean;
  // The version the user named (rollback VERSION, --version), if any.
  declaredVersion?: string;
  // deploy --canary: the share kamal-proxy sends to the new version (docs/canary.md).
  canary?: { percent: number; allowlist: string[] };
  // deploy --promote: the canary run it promotes.
  canaryOf?: string;
}

export interface RunHeader {
  format: number;
  runId: string;
  command: DeployPlan['command'];
  kamalCommand: string;
  version: string;
  request: RunRequest;
  // sha256 of the resolved config, and the names (never the values) of the secrets.
  configHash: string;
  secretNames: string[];
  machineVersion: string;
  // The deploy lock this run takes, if any: where, and the message that names the run.
  lock?: { host: string; path: string; message: string };
  startedAt: number;
  // Filled in when the run ends.
  endedAt?: number;
  outcome?: 'succeeded' | 'failed';
  hostResults?: Record<string, 'ok' | 'failed'>;
}

// One step the machines asked for, as the engine's StepHandlers received it.
export type StepRef =
  | { kind: 'host'; host: string; stage: string; attempt: number }
  | { kind: 'swap'; host: string; role: string; step: string; attempt: number; oldVersion?: string }
  | { kind: 'build' }
  | { kind: 'hook'; name: string; hosts: string[] }
  | { kind: 'accessories' };

export interface CommandRecord {
  host: string;
  line: string;
  exitCode?: number;
  ms?: number;
  output: string;
}

export type LogEntry =
  | { e: 'segment'; n: number; mode: 'run' | 'resume'; pid: number; machine: string; at: number; void?: string[] }
  | { e: 'start'; key: string; step: StepRef; at: number }
  | { e: 'end'; key: string; at: number; ms: number; ok: true; output?: unknown; commands?: CommandRecord[] }
  | { e: 'end'; key: string; at: number; ms: number; ok: false; error: { message: string; kind: 'transient' | 'permanent' }; commands?: CommandRecord[] }
  | { e: 'state'; actor: string; state: string; at: number }
  | { e: 'finish'; at: number; ok: boolean; failures: StepFailure[] };

export type EndEntry = Extract<LogEntry, { e: 'end' }>;
export type StartEntry = Extract<LogEntry, { e: 'start' }>;
export type StateEntry = Extract<LogEntry, { e: 'state' }>;
export type SegmentEntry = Extract<LogEntry, { e: 'segment' }>;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'broken';

export interface RunRecord {
  dir: string;
  runId: string;
  header?: RunHeader;
  plan?: DeployPlan;
  entries: LogEntry[];
  // Why the record cannot be acted on, when it cannot.
  broken?: string;
}

const stepName = (step: StepRef): string => {
  switch (step.kind) {
    case 'host':
      return `host:${step.host}:${step.stage}`;
    case 'swap':
      return `swap:${step.host}:${step.role}:${step.step}`;
    case 'hook':
      return `hook:${step.name}:${step.hosts.join(',')}`;
    default:
      return step.kind;
  }
};

export const stepAttempt = (step: StepRef): number => ('attempt' in step ? step.attempt : 1);

// The key a step's start and end are logged under: what it is, which try, and (for the rare step
// asked for twice) which time.
export function stepKey(step: StepRef, occurrence: number): string {
  return `${stepName(step)}@${stepAttempt(step)}#${occurrence}`;
}

export function stepBase(step: StepRef): string {
  return `${stepName(step)}@${stepAttempt(step)}`;
}

// Counts requests per step so each gets its own key, in the order the machines ask.
export function keyCounter(): (step: StepRef) => string {
  const seen = new Map<string, number>();
  return (step) => {
    const base = stepBase(step);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return stepKey(step, n);
  };
}

export function readRun(dir: string): RunRecord {
  const runId = dir.split('/').pop() as string;
  const record: RunRecord = { dir, runId, entries: [] };
  const header = readJson<RunHeader>(join(dir, 'run.json'));
  if (!header.ok) {
    record.broken = header.missing ? 'run.json is missing (the run was recorded before Sextant kept requests, or was killed before it started)' : `run.json does not parse: ${header.error}`;
    return record;
  }
  record.header = header.value;
  if (header.value.format !== RECORD_FORMAT) record.broken = `run.json is in format ${header.value.format}; this Sextant reads format ${RECORD_FORMAT}`;
  const plan = readJson<DeployPlan>(join(dir, 'plan.json'));
  if (plan.ok) record.plan = plan.value;
  else record.broken ??= plan.missing ? 'plan.json is missing' : `plan.json does not parse: ${plan.error}`;
  const logPath = join(dir, 'log.jsonl');
  if (!existsSync(logPath)) {
    record.broken ??= 'log.jsonl is missing';
    return record;
  }
  const lines = readFileSync(logPath, 'utf8').split('\n');
  // The text after the last newline is a line still being written (or torn by a kill): ignored.
  lines.pop();
  for (const [index, line] of lines.entries()) {
    try {
      record.entries.push(JSON.parse(line) as LogEntry);
    } catch {
      record.broken ??= `log.jsonl line ${index + 1} does not parse`;
      break;
    }
  }
  if (!record.broken && record.entries[0]?.e !== 'segment') record.broken = 'log.jsonl does not start with a segment line';
  return record;
}

export function readHeader(dir: string): RunHeader | undefined {
  const header = readJson<RunHeader>(join(dir, 'run.json'));
  return header.ok && header.value.format === RECORD_FORMAT ? header.value : undefined;
}

function readJson<T>(path: string): { ok: true; value: T } | { ok: false; missing: boolean; error?: string } {
  if (!existsSync(path)) return { ok: false, missing: true };
  try {
    return { ok: true, value: JSON.parse(readFileSync(path, 'utf8')) as T };
  } catch (error) {
    return { ok: false, missing: false, error: (error as Error).message };
  }
}

export function segments(record: RunRecord): SegmentEntry[] {
  return record.entries.filter((e): e is SegmentEntry => e.e === 'segment');
}

export function finishOf(record: RunRecord): Extract<LogEntry, { e: 'finish' }> | undefined {
  const last = segments(record).at(-1);
  const from = last ? record.entries.lastIndexOf(last) : 0;
  return record.entries.slice(from).find((e): e is Extract<LogEntry, { e: 'finish' }> => e.e === 'finish');
}

// A process still working on the run: its pid is alive on this machine.
function alive(segment: SegmentEntry | undefined): boolean {
  if (!segment || segment.machine !== hostname()) return false;
  if (segment.pid === process.pid) return true;
  try {
    process.kill(segment.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function runStatus(record: RunRecord): RunStatus {
  if (record.broken) return 'broken';
  const finish = finishOf(record);
  if (finish) return finish.ok ? 'succeeded' : 'failed';
  return alive(segments(record).at(-1)) ? 'running' : 'interrupted';
}

// The step results that count: every end in log order, except those a later resume set aside
// (the failed steps of a failed run, which the resume ran again).
export function effectiveEnds(record: RunRecord): EndEntry[] {
  const voided = new Set<string>();
  for (const segment of segments(record)) for (const key of segment.void ?? []) voided.add(key);
  const ends: EndEntry[] = [];
  for (const entry of record.entries) {
    if (entry.e === 'segment') {
      // Keys set aside by this segment were logged before it.
      for (const key of entry.void ?? []) {
        const at = ends.findIndex((end) => end.key === key);
        if (at >= 0) ends.splice(at, 1);
      }
    } else if (entry.e === 'end') ends.push(entry);
  }
  return ends;
}

export function startsByKey(record: RunRecord): Map<string, StartEntry> {
  const starts = new Map<string, StartEntry>();
  for (const entry of record.entries) if (entry.e === 'start') starts.set(entry.key, entry);
  return starts;
}

// Steps whose last start has no end after it: in flight when their process stopped.
export function unfinishedKeys(record: RunRecord): Set<string> {
  const open = new Set<string>();
  for (const entry of record.entries) {
    if (entry.e === 'start') open.add(entry.key);
    else if (entry.e === 'end') open.delete(entry.key);
  }
  return open;
}

// The machine states the last process went through (each process walks the run from its start).
export function lastStates(record: RunRecord): StateEntry[] {
  const last = segments(record).at(-1);
  const from = last ? record.entries.lastIndexOf(last) : 0;
  return record.entries.slice(from).filter((e): e is StateEntry => e.e === 'state');
}

export function runsDirectory(cwd: string, runDirectory = '.kamal'): string {
  return join(cwd, runDirectory, 'runs');
}

// Run folders (those of deployments: with a request or a plan), newest first (ids start with their
// UTC start time).
export function listRunIds(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (existsSync(join(runsDir, d.name, 'run.json')) || existsSync(join(runsDir, d.name, 'plan.json'))))
    .map((d) => d.name)
    .sort()
    .reverse();
}

// RUN is an id, a unique prefix of one, or `last` (the newest run).
export function findRun(runsDir: string, ref: string): { ok: true; dir: string } | { ok: false; message: string } {
  const ids = listRunIds(runsDir);
  if (ids.length === 0) return { ok: false, message: `No runs recorded in ${runsDir}` };
  if (ref === 'last') return { ok: true, dir: join(runsDir, ids[0] as string) };
  if (ids.includes(ref)) return { ok: true, dir: join(runsDir, ref) };
  const matches = ids.filter((id) => id.startsWith(ref));
  if (matches.length === 1) return { ok: true, dir: join(runsDir, matches[0] as string) };
  if (matches.length === 0) return { ok: false, message: `No run matches '${ref}' in ${runsDir} (see 'sextant runs')` };
  return { ok: false, message: `'${ref}' matches ${matches.length} runs (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}); give more of the id` };
}
