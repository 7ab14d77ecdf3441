// A recorded run as lanes of steps, one lane per host (plus `local` for the build and hooks): what
// `sextant runs show` prints and `sextant runs view` draws.
import type { DeployPlan } from '../../machines/plan.ts';
import { finishOf, readHeader, readRun, runStatus, type CommandRecord, type RunHeader, type RunRecord, type RunStatus, type StepRef } from './run-record.ts';
import { stageOf } from './run-recorder.ts';

export interface TimelineStep {
  key: string;
  lane: string;
  stage: string;
  // stage (pull), role and step (web health), or hook name
  label: string;
  role?: string;
  attempt: number;
  start: number;
  end?: number;
  status: 'ok' | 'failed' | 'retried' | 'in flight' | 'interrupted';
  error?: { message: string; kind: string };
  rollback: boolean;
  commands: CommandRecord[];
  segment: number;
}

export interface Timeline {
  runId: string;
  header?: RunHeader;
  plan?: DeployPlan;
  status: RunStatus;
  startedAt?: number;
  endedAt?: number;
  lanes: string[];
  steps: TimelineStep[];
  resumes: number[];
  failures: Array<{ host?: string; role?: string; stage: string; message: string }>;
  broken?: string;
}

const labelOf = (ref: StepRef): string => {
  switch (ref.kind) {
    case 'host':
      return ref.stage;
    case 'swap':
      return `${ref.role} ${ref.step}`;
    case 'hook':
      return `hook ${ref.name}`;
    default:
      return ref.kind;
  }
};

export function timelineOf(record: RunRecord): Timeline {
  const status = runStatus(record);
  const plan = record.plan;
  const steps: TimelineStep[] = [];
  const open = new Map<string, TimelineStep>();
  let segment = 0;
  let lastAt = record.header?.startedAt ?? 0;
  const resumes: number[] = [];
  for (const entry of record.entries) {
    if ('at' in entry) lastAt = Math.max(lastAt, entry.at);
    if (entry.e === 'segment') {
      segment = entry.n;
      if (entry.mode === 'resume') resumes.push(entry.at);
      // Steps a killed process left running never finished.
      for (const step of open.values()) if (step.status === 'in flight') step.status = 'interrupted';
      open.clear();
    } else if (entry.e === 'start') {
      const ref = entry.step;
      const step: TimelineStep = {
        key: entry.key,
        lane: 'host' in ref ? ref.host : 'local',
        stage: stageOf(ref),
        label: labelOf(ref),
        ...(ref.kind === 'swap' ? { role: ref.role } : {}),
        attempt: 'attempt' in ref ? ref.attempt : 1,
        start: entry.at,
        status: 'in flight',
        rollback: ref.kind === 'swap' && ref.step === 'rollback',
        commands: [],
        segment,
      };
      steps.push(step);
      open.set(entry.key, step);
    } else if (entry.e === 'end') {
      const step = open.get(entry.key);
      if (!step) continue;
      open.delete(entry.key);
      step.end = entry.at;
      step.commands = entry.commands ?? [];
      if (entry.ok) step.status = 'ok';
      else {
        step.error = entry.error;
        step.status = 'failed';
      }
    }
  }
  if (status !== 'running') for (const step of open.values()) step.status = 'interrupted';
  // A failed try followed by another try of the same step was retried, not failed.
  for (const step of steps) {
    if (step.status !== 'failed') continue;
    const base = step.key.replace(/@\d+#\d+$/, '');
    if (steps.some((s) => s !== step && s.key.startsWith(`${base}@${step.attempt + 1}#`) && s.start >= step.start)) step.status = 'retried';
  }
  const finish = finishOf(record);
  const hostLanes = plan?.hosts ?? [...new Set(steps.map((s) => s.lane).filter((l) => l !== 'local'))];
  const lanes = [...(steps.some((s) => s.lane === 'local') ? ['local'] : []), ...hostLanes];
  return {
    runId: record.runId,
    header: record.header,
    plan,
    status,
    startedAt: record.header?.startedAt ?? steps[0]?.start,
    endedAt: finish?.at ?? (status === 'running' ? undefined : lastAt),
    lanes,
    steps,
    resumes,
    failures: finish?.failures ?? [],
    broken: record.broken,
  };
}

// --- text ----------------------------------------------------------------------------------------

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

const clock = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

export interface RunSummary {
  runId: string;
  command: string;
  version: string;
  startedAt?: number;
  durationMs?: number;
  status: RunStatus;
  ok: number;
  failed: number;
}

export function summaryOf(dir: string): RunSummary {
  // A finished run's summary is all in run.json (its end is written there after the log's finish,
  // and cleared when a resume begins); only other runs are read from their log.
  const header = readHeader(dir);
  if (header?.outcome && header.hostResults && header.endedAt !== undefined) {
    const values = Object.values(header.hostResults);
    return {
      runId: dir.split('/').pop() as string,
      command: header.kamalCommand === 'app' ? 'app boot' : header.command,
      version: header.version,
      startedAt: header.startedAt,
      durationMs: header.endedAt - header.startedAt,
      status: header.outcome,
      ok: values.filter((v) => v === 'ok').length,
      failed: values.filter((v) => v === 'failed').length,
    };
  }
  return summaryFromLog(dir);
}

function summaryFromLog(dir: string): RunSummary {
  const record = readRun(dir);
  const header = record.header;
  const status = runStatus(record);
  let results = header?.hostResults;
  if (!results || status === 'interrupted' || status === 'running') {
    const timeline = timelineOf(record);
    results = Object.fromEntries(
      (record.plan?.hosts ?? []).map((h) => [h, timeline.steps.some((s) => s.lane === h && (s.status === 'failed' || s.status === 'interrupted')) ? 'failed' : 'ok']),
    ) as Record<string, 'ok' | 'failed'>;
  }
  const values = Object.values(results);
  const end = header?.endedAt ?? record.entries.filter((e): e is typeof e & { at: number } => 'at' in e).at(-1)?.at;
  return {
    runId: record.runId,
    command: header ? (header.kamalCommand === 'app' ? 'app boot' : header.command) : '?',
    version: header?.version ?? '?',
    startedAt: header?.startedAt,
    durationMs: header?.startedAt !== undefined && end !== undefined ? end - header.startedAt : undefined,
    status,
    ok: values.filter((v) => v === 'ok').length,
    failed: values.filter((v) => v === 'failed').length,
  };
}

export function formatRunList(summaries: RunSummary[]): string {
  const rows = [
    ['RUN', 'COMMAND', 'VERSION', 'STARTED', 'DURATION', 'OUTCOME', 'HOSTS'],
    ...summaries.map((s) => [
      s.runId,
      s.command,
      s.version,
      clock(s.startedAt),
      s.status === 'running' ? '-' : duration(s.durationMs),
      s.status,
      `${s.ok} ok${s.failed ? `, ${s.failed} failed` : ''}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function formatTimeline(t: Timeline): string {
  const out: string[] = [];
  const h = t.header;
  const t0 = t.startedAt ?? 0;
  const rel = (at: number) => `+${duration(at - t0)}`.padStart(9);
  out.push(`Run ${t.runId}: ${h ? h.request.argv.join(' ') : '(no request recorded)'} — ${t.status}${t.endedAt && t.startedAt ? ` after ${duration(t.endedAt - t.startedAt)}` : ''}`);
  if (t.broken) out.push(`  record broken: ${t.broken}`);
  if (h) {
    out.push(`  started ${clock(h.startedAt)}; version ${h.version}; config ${h.configHash}; machines ${h.machineVersion}`);
    if (h.lock) out.push(`  lock ${h.lock.path} on ${h.lock.host} ("${h.lock.message}")`);
    if (h.secretNames.length) out.push(`  secrets: ${h.secretNames.join(', ')} (names only)`);
  }
  for (const at of t.resumes) out.push(`  resumed ${rel(at).trim()} (${clock(at)})`);
  for (const lane of t.lanes) {
    out.push('', lane);
    for (const step of t.steps.filter((s) => s.lane === lane)) {
      const took = step.end !== undefined ? duration(step.end - step.start) : '';
      const attempt = step.attempt > 1 ? ` (try ${step.attempt})` : '';
      const mark = step.rollback ? '  ← rollback' : '';
      let line = `  ${rel(step.start)}  ${(step.label + attempt).padEnd(28)} ${step.status.padEnd(11)} ${took.padStart(7)}${mark}`;
      if (step.error) line += `\n  ${' '.repeat(9)}    ${step.error.kind}: ${step.error.message.split('\n').join(`\n  ${' '.repeat(13)}`)}`;
      out.push(line);
    }
  }
  if (t.failures.length) {
    out.push('', 'Failures:');
    for (const f of t.failures) out.push(`  ${f.host ?? 'local'}${f.role ? ` ${f.role}` : ''} ${f.stage}: ${f.message}`);
  }
  return out.join('\n');
}

