// `sextant rollback` with no VERSION (kamal#1658): the versions that still exist as containers on
// the app hosts, newest first, the live one marked; a person picks one on the terminal. Without a
// terminal the command fails and shows the list. Pure: the listing comes in as text, the question
// goes out through `ask`.
import { UserError } from '../errors.ts';

export interface ContainerSeen {
  version: string;
  // Milliseconds since the epoch (docker's CreatedAt has whole seconds).
  createdAt: number;
  running: boolean;
}

// One host's containers of one role, as the listing command printed them.
export interface RoleListing {
  host: string;
  role: string;
  prefix: string;
  output: string;
}

export interface RollbackCandidate {
  version: string;
  // The newest creation time of its containers.
  createdAt: number;
  live: boolean;
  // Where a container of this version is missing (`host role`); a rollback needs it everywhere.
  missingOn: string[];
}

// docker's CreatedAt: `2026-12-06 05:21:44 +0000 UTC`.
const CREATED_AT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)\b/;

export function parseCreatedAt(text: string): number | undefined {
  const match = CREATED_AT.exec(text.trim());
  if (!match) return undefined;
  const at = Date.parse(`${match[1]}T${match[2]}${match[3]}:${match[4]}`);
  return Number.isNaN(at) ? undefined : at;
}

// Lines `NAME|CREATED AT|STATE`; names that are not `<prefix>-<version>`, and containers renamed
// aside by an earlier rollback (`<version>_replaced_<hex>`), are not versions to go back to.
export function parseRoleContainers(output: string, prefix: string): ContainerSeen[] {
  const seen: ContainerSeen[] = [];
  for (const line of output.split('\n')) {
    const [name, created, state] = line.trim().split('|');
    if (!name || created === undefined || !name.startsWith(`${prefix}-`)) continue;
    const version = name.slice(prefix.length + 1);
    const createdAt = parseCreatedAt(created);
    if (version === '' || version.includes('_replaced_') || createdAt === undefined) continue;
    seen.push({ version, createdAt, running: state?.trim() === 'running' });
  }
  return seen;
}

// Every version seen on any host, newest first; live when one of its containers runs.
export function rollbackCandidates(listings: readonly RoleListing[]): RollbackCandidate[] {
  const byVersion = new Map<string, { createdAt: number; live: boolean; on: Set<string> }>();
  for (const listing of listings) {
    for (const container of parseRoleContainers(listing.output, listing.prefix)) {
      const entry = byVersion.get(container.version) ?? { createdAt: 0, live: false, on: new Set<string>() };
      entry.createdAt = Math.max(entry.createdAt, container.createdAt);
      entry.live ||= container.running;
      entry.on.add(`${listing.host} ${listing.role}`);
      byVersion.set(container.version, entry);
    }
  }
  const everywhere = listings.map((l) => `${l.host} ${l.role}`);
  return [...byVersion.entries()]
    .map(([version, entry]) => ({ version, createdAt: entry.createdAt, live: entry.live, missingOn: everywhere.filter((where) => !entry.on.has(where)) }))
    .sort((a, b) => b.createdAt - a.createdAt || b.version.localeCompare(a.version));
}

const stamp = (at: number) => new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

// Numbered lines, as shown on the terminal and in the no-terminal error.
export function formatCandidates(candidates: readonly RollbackCandidate[]): string {
  const width = Math.max(...candidates.map((c) => c.version.length));
  return candidates
    .map((c, i) => {
      const notes = [c.live ? 'live' : '', c.missingOn.length > 0 ? `missing on ${c.missingOn.join(', ')}` : ''].filter(Boolean);
      return `  ${String(i + 1).padStart(2)}) ${c.version.padEnd(width)}  created ${stamp(c.createdAt)}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`;
    })
    .join('\n');
}

export interface ChooseRequest {
  candidates: readonly RollbackCandidate[];
  // Whether a person can answer (stdin and stdout are terminals).
  interactive: boolean;
  ask: (question: string) => Promise<string | undefined>;
  say: (text: string) => void;
}

const TRIES = 3;

// The version picked: its number in the list or its name. A version missing on some host cannot be
// rolled back to; an empty answer (or the end of input) aborts; a wrong answer is asked again.
export async function chooseRollbackVersion(request: ChooseRequest): Promise<string> {
  const { candidates } = request;
  if (candidates.length === 0) {
    throw new UserError('No app containers found on the hosts: there is no version to roll back to');
  }
  const list = formatCandidates(candidates);
  if (!request.interactive) {
    throw new UserError(
      `rollback needs a VERSION, and there is no terminal to ask on (stdin and stdout must both be terminals). Versions on the hosts, newest first:\n${list}\nRun: sextant rollback VERSION`,
    );
  }
  request.say(`Versions on the hosts, newest first:\n${list}`);
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const answer = (await request.ask(`Roll back to which version? [1-${candidates.length} or a version, empty to abort] `))?.trim();
    if (!answer) throw new UserError('Aborted: no version chosen');
    const picked = /^\d+$/.test(answer) ? candidates[Number(answer) - 1] : candidates.find((c) => c.version === answer);
    if (!picked) {
      request.say(`${answer} is not in the list`);
      continue;
    }
    if (picked.missingOn.length > 0) {
      request.say(`${picked.version} cannot be rolled back to: its container is missing on ${picked.missingOn.join(', ')}`);
      continue;
    }
    return picked.version;
  }
  throw new UserError(`Aborted: no version chosen after ${TRIES} tries`);
}
