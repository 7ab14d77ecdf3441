// The `.kamal/secrets*` file format: dotenv 3.1 (`Dotenv::Parser`, overwrite mode) as Kamal 2.6.0
// installs it, i.e. with Kamal's inline command substitution in place of dotenv's own.
//
// Per assignment, in this order (all of it except the first step is skipped for single quotes):
//   1. the value is stripped and one pair of surrounding quotes removed;
//   2. double quotes only: `\n`/`\r` become `\\n`/`\\r` (so they survive as backslash-n), or real
//      line breaks when DOTENV_LINEBREAK_MODE=legacy (earlier key in the file, else ENV);
//   3. a backslash before any character except `$` is dropped;
//   4. `$VAR`/`${VAR}` become the value of an earlier key of this file, else ENV, else "";
//      `\$` keeps a literal `$`;
//   5. `$(cmd)` runs (after substituting variables inside it once more) and its output, minus one
//      trailing newline, replaces it; `\$(cmd)` keeps the literal text. A command that starts with
//      `kamal secrets` / `sextant secrets` is handed to `runInline` instead of a shell.
import { UserError } from '../errors.ts';
import { redactValues } from './redact.ts';
import { chomp, rubyStrip } from './ruby.ts';
import { shellSplit } from './shellwords.ts';

export type Env = Record<string, string | undefined>;

/** One `KEY=value` (or `export KEY`, or bare `KEY`) found in a dotenv file. */
export interface DotenvEntry {
  key: string;
  /** The raw value text as matched (quotes and surrounding blanks included); undefined if none. */
  rawValue: string | undefined;
  exported: boolean;
  /** 1-based line of the key. */
  line: number;
  /** The whole matched text, for error messages. */
  text: string;
}

export interface CommandResult {
  exitCode: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
}

export interface DotenvContext {
  /** The file name shown in errors, e.g. `.kamal/secrets`. */
  file: string;
  /** The process environment that `$VAR` falls back to. */
  env: Env;
  /** Runs a `$(…)` command through a shell. */
  runCommand(command: string): Promise<CommandResult>;
  /** Runs an inline `kamal|sextant secrets …` command; gets the words after the program name. */
  runInline(args: string[]): Promise<string>;
  /** Hides secret values known before this file in error text (this file's own are added). */
  redact?(text: string): string;
}

const WS = '[\\t\\n\\v\\f\\r ]'; // Ruby's \s (ASCII only)
const LINE = new RegExp(
  '(?<![^\\n])' + // beginning of a line
    `${WS}*` +
    `(?<export>export${WS}+)?` +
    '(?<key>[A-Za-z0-9_.]+)' +
    '(?:' +
    `(?:${WS}*=${WS}*?|:${WS}+?)` +
    '(?<value>' +
    `${WS}*'(?:\\\\'|[^'])*'` +
    '|' +
    `${WS}*"(?:\\\\"|[^"])*"` +
    '|' +
    '[^#\\n]+' +
    ')?' +
    ')?' +
    `${WS}*` +
    '(?:#[^\\n]*)?' +
    '(?=\\n|(?![\\s\\S]))', // end of a line
  'dg',
);

const QUOTED = /^(['"])([\s\S]*)\1$/;
const VARIABLE = /(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?/gi;
const INLINE_SECRETS = new RegExp(`^${WS}*(?:kamal|sextant)${WS}*secrets${WS}+`);

/** Line breaks are normalised (`\r\n` and lone `\r` become `\n`) as dotenv 3.1.7+ does. */
export function normalizeLineBreaks(source: string): string {
  return source.replace(/\r\n?/g, '\n');
}

/** Finds every assignment in a dotenv file. Pure; lines that are not assignments are skipped. */
export function scanDotenv(source: string): DotenvEntry[] {
  const text = normalizeLineBreaks(source);
  const lineStarts = [0];
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lineStarts.push(at + 1);

  const entries: DotenvEntry[] = [];
  for (const match of text.matchAll(LINE)) {
    const groups = match.groups!;
    const keyStart = match.indices!.groups!['key']![0];
    entries.push({
      key: groups['key']!,
      rawValue: groups['value'],
      exported: groups['export'] !== undefined,
      line: lineOf(lineStarts, keyStart),
      text: match[0],
    });
  }
  return entries;
}

function lineOf(lineStarts: number[], index: number): number {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= index) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

/** Parses a dotenv file and performs its substitutions, in file order. Later keys win. */
export async function parseDotenv(source: string, context: DotenvContext): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const entry of scanDotenv(source)) {
    if (entry.exported && entry.rawValue === undefined) {
      if (!values.has(entry.key)) {
        throw new UserError(
          `${fileAndLine(context, entry.line)}: Line ${JSON.stringify(rubyStrip(entry.text))} has an unset variable`,
        );
      }
      continue;
    }
    values.set(entry.key, await evaluateValue(entry.rawValue ?? '', entry.line, values, context));
  }
  return values;
}

async function evaluateValue(raw: string, line: number, values: Map<string, string>, context: DotenvContext): Promise<string> {
  let value = rubyStrip(raw);
  const quoted = QUOTED.exec(value);
  const quote = quoted?.[1];
  if (quoted) value = quoted[2]!;

  if (quote === '"') value = expandNewlines(value, values, context.env);
  if (quote === "'") return value;

  value = unescapeCharacters(value);
  const beforeVariables = value;
  value = substituteVariables(value, values, context.env);
  return substituteCommands(value, beforeVariables, line, values, context);
}

function expandNewlines(value: string, values: Map<string, string>, env: Env): string {
  const mode = values.get('DOTENV_LINEBREAK_MODE') ?? env['DOTENV_LINEBREAK_MODE'];
  if (mode === 'legacy') return value.replaceAll('\\n', '\n').replaceAll('\\r', '\r');
  return value.replaceAll('\\n', '\\\\n').replaceAll('\\r', '\\\\r');
}

/** Drops a backslash before any character except `$`. */
export function unescapeCharacters(value: string): string {
  return value.replace(/\\([^$])/g, '$1');
}

/** `$VAR` / `${VAR}`: earlier keys of the same file, then ENV, then "". `\$` yields `$`. */
export function substituteVariables(value: string, values: ReadonlyMap<string, string>, env: Env): string {
  return value.replace(VARIABLE, (match: string, backslash: string | undefined, _dollar: string, name: string | undefined) => {
    if (backslash) return match.slice(1);
    if (name !== undefined) return values.get(name) ?? env[name] ?? '';
    return match;
  });
}

interface CommandMatch {
  start: number;
  end: number;
  escaped: boolean;
  /** The text between the parentheses. */
  command: string;
}

/** Finds `$(…)` with balanced parentheses (and at least one character inside), left to right. */
export function findCommands(value: string): CommandMatch[] {
  const matches: CommandMatch[] = [];
  let at = 0;
  while (at < value.length) {
    const escaped = value[at] === '\\' && value[at + 1] === '$';
    const dollar = escaped ? at + 1 : at;
    if (value[dollar] === '$' && value[dollar + 1] === '(') {
      const end = balancedGroupEnd(value, dollar + 1);
      if (end > 0) {
        matches.push({ start: at, end, escaped, command: value.slice(dollar + 2, end - 1) });
        at = end;
        continue;
      }
    }
    at++;
  }
  return matches;
}

// The end (exclusive) of the group opening at `open`, or -1. Every group needs one item or more.
function balancedGroupEnd(value: string, open: number): number {
  const itemCounts = [0];
  for (let at = open + 1; at < value.length; at++) {
    const char = value[at];
    if (char === '(') {
      itemCounts[itemCounts.length - 1]!++;
      itemCounts.push(0);
    } else if (char === ')') {
      if (itemCounts.pop() === 0) return -1;
      if (itemCounts.length === 0) return at + 1;
    } else {
      itemCounts[itemCounts.length - 1]!++;
    }
  }
  return -1;
}

async function substituteCommands(
  value: string,
  beforeVariables: string,
  line: number,
  values: Map<string, string>,
  context: DotenvContext,
): Promise<string> {
  const matches = findCommands(value);
  if (matches.length === 0) return value;
  // For error messages: the command as written in the file, before any value was put into it,
  // still redacted (a file may spell out a value it also defines, or one from the other file).
  const written = findCommands(beforeVariables).filter((m) => !m.escaped);
  const unescapedCount = matches.filter((m) => !m.escaped).length;

  const hide = (text: string) => redactValues((context.redact ?? ((t: string) => t))(text), values.values());
  let result = '';
  let copied = 0;
  let commandIndex = 0;
  for (const match of matches) {
    result += value.slice(copied, match.start);
    copied = match.end;
    if (match.escaped) {
      result += value.slice(match.start + 1, match.end);
      continue;
    }
    const command = substituteVariables(match.command, values, context.env);
    const shown = hide(written.length === unescapedCount ? written[commandIndex]!.command : command);
    commandIndex++;
    result += await runOne(command, shown, line, context, hide);
  }
  return result + value.slice(copied);
}

async function runOne(
  command: string,
  shown: string,
  line: number,
  context: DotenvContext,
  hide: (text: string) => string,
): Promise<string> {
  const where = fileAndLine(context, line);
  if (INLINE_SECRETS.test(command)) {
    try {
      return chomp(await context.runInline(shellSplit(command).slice(1)));
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`${where}: ${hide(error.message)}`, error.exitCode);
      throw error;
    }
  }

  const result = await context.runCommand(command);
  if (result.exitCode !== 0) {
    const status = result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`;
    const firstLine = result.stderr.split('\n').find((l) => l.trim() !== '')?.trim();
    const detail = firstLine ? `: ${hide(firstLine)}` : '';
    throw new UserError(`${where}: command \`${shown}\` failed (${status})${detail}`);
  }
  return chomp(result.stdout);
}

function fileAndLine(context: DotenvContext, line: number): string {
  return `\`${context.file}\` line ${line}`;
}
