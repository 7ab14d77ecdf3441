// Commands as data. Builders describe what to run as a `Command` tree; `shell.ts` is the only place
// that turns one into the text a shell reads. Nothing else in Sextant quotes for a shell.
//
// Words are made of parts, concatenated with no space between them:
//   raw(text)        trusted shell source written in OUR code: flags, `'{{.Names}}'`, `$(pwd)`, `\|`
//   value(text)      a config/user value, escaped the way Kamal's escape_shell_value does: `"..."`
//                    (Ruby String#dump), backticks and `$` escaped, simple `${NAME}` left for the
//                    remote shell to expand, non-ASCII runs outside the quotes
//   secret(text)     like value(), but every `$` is escaped and display shows `[REDACTED]`
//   bare(text)       a config value Kamal sends unquoted (image, container name, volume, version):
//                    as-is when every character is shell-safe, otherwise single-quoted
//   squote(text)     `'text'` (`'` → `'\''`): a value Kamal wraps in single quotes itself
//   dquote(...items) `"..."` holding plain strings (escaped for double quotes; newlines stay real),
//                    raw() parts and subst() parts: Kamal's `echo "<base64>"`, `grep -v -w "$(…)…"`
//   subst(command)   `$(command)`
//   quoted(command)  `'command'` with `'` → `'\''`; `shell(cmd)` is `sh -c` + quoted(cmd)
//   shellwords(text) a value escaped like Ruby's Shellwords.escape (`a\ b`), as Kamal's git clone paths
//   shellCode(text)  shell source written by the OPERATOR (role `cmd`, `app exec` command): verbatim,
//                    exactly as Kamal sends it. Never use it for data.
//   sensitive(part)  shows `[REDACTED]` (or a given redaction) instead of the part when displayed
// Anywhere a word is expected, a plain string or number means bare(): safe by default, and shell-safe
// literals such as `--filter` or `label=service=app` come out unchanged.
//
// Commands: argv(...words) and docker(...words) (arrays are spread, null/undefined/false dropped),
// and/or/seq/pipe(...commands) (rendered flat with ` && `, ` || `, ` ; `, ` | ` exactly like Kamal's
// combine: no parentheses are added, the shell's precedence applies; falsy entries are dropped),
// redirect(cmd, op, target) (`cmd 2> /dev/null`), write/append(cmd, file) (`>`/`>>`), group(cmd)
// (`(cmd)`), shell(cmd) (`sh -c '…'`), xargs(cmd), withWords(cmd, ...words), and script(text) for
// a trusted literal command such as `while read …; do …; done`.
// Helpers mirroring Kamal's Utils: argumentize(flag, attributes) and optionize(options, { with }).

export type RawPart = { readonly kind: 'raw'; readonly text: string };
export type ValuePart = { readonly kind: 'value'; readonly text: string; readonly expand: boolean };
export type BarePart = { readonly kind: 'bare'; readonly text: string };
export type SingleQuotedPart = { readonly kind: 'squote'; readonly text: string };
export type SubstitutionPart = { readonly kind: 'subst'; readonly command: Command };
export type DoubleQuotedItem = string | RawPart | SubstitutionPart;
export type DoubleQuotedPart = { readonly kind: 'dquote'; readonly items: readonly DoubleQuotedItem[] };
export type QuotedCommandPart = { readonly kind: 'quoted'; readonly command: Command };
export type ShellCodePart = { readonly kind: 'shellCode'; readonly text: string };
export type ShellwordsPart = { readonly kind: 'shellwords'; readonly text: string };
export type SensitivePart = { readonly kind: 'sensitive'; readonly parts: readonly Part[]; readonly redaction: string };

export type Part =
  | RawPart
  | ValuePart
  | BarePart
  | SingleQuotedPart
  | DoubleQuotedPart
  | SubstitutionPart
  | QuotedCommandPart
  | ShellCodePart
  | ShellwordsPart
  | SensitivePart;

/** One shell word: its parts are written next to each other with nothing in between. */
export type Word = { readonly kind: 'word'; readonly parts: readonly Part[] };

/** Where a word is expected: a string or number is bare(); null/undefined/false are left out. */
export type WordInput = string | number | Part | Word;
export type OptionalWordInput = WordInput | null | undefined | false;

export type RedirectOp = '>' | '>>' | '2>' | '2>>' | '<' | '&>' | '2>&1' | '>&2';
const TARGETLESS_REDIRECTS: ReadonlySet<RedirectOp> = new Set<RedirectOp>(['2>&1', '>&2']);

export type ArgvCommand = { readonly kind: 'argv'; readonly words: readonly Word[] };
export type ListCommand = { readonly kind: 'and' | 'or' | 'seq' | 'pipe'; readonly parts: readonly Command[] };
export type RedirectCommand = {
  readonly kind: 'redirect';
  readonly command: Command;
  readonly op: RedirectOp;
  readonly target?: Word;
};
export type GroupCommand = { readonly kind: 'group'; readonly command: Command };

export type Command = ArgvCommand | ListCommand | RedirectCommand | GroupCommand;
export type OptionalCommand = Command | null | undefined | false;

export const DEFAULT_REDACTION = '[REDACTED]';

// ---------------------------------------------------------------------------------------------
// Parts

export function raw(text: string): RawPart {
  return { kind: 'raw', text: noNul(text) };
}

/** A value escaped exactly like Kamal's escape_shell_value (see shell.ts for the rules). */
export function value(text: string | number | boolean): ValuePart {
  return { kind: 'value', text: String(text), expand: true };
}

/** A secret: escaped like value() but with no `${…}` expansion, shown as `[REDACTED]`. */
export function secret(text: string, redaction: string = DEFAULT_REDACTION): SensitivePart {
  return sensitive({ kind: 'value', text, expand: false }, redaction);
}

export function bare(text: string | number): BarePart {
  return { kind: 'bare', text: noNul(String(text)) };
}

export function squote(text: string): SingleQuotedPart {
  return { kind: 'squote', text: noNul(text) };
}

export function dquote(...items: DoubleQuotedItem[]): DoubleQuotedPart {
  for (const item of items) if (typeof item === 'string') noNul(item);
  return { kind: 'dquote', items };
}

export function subst(command: Command): SubstitutionPart {
  return { kind: 'subst', command };
}

export function quoted(command: Command): QuotedCommandPart {
  return { kind: 'quoted', command };
}

/** A value escaped like Ruby's Shellwords.escape (backslashes), where Kamal uses `.shellescape`. */
export function shellwords(text: string): ShellwordsPart {
  return { kind: 'shellwords', text: noNul(text) };
}

export function shellCode(text: string): ShellCodePart {
  return { kind: 'shellCode', text: noNul(text) };
}

export function sensitive(part: Part | Word, redaction: string = DEFAULT_REDACTION): SensitivePart {
  const parts = isWord(part) ? part.parts : [part];
  return { kind: 'sensitive', parts, redaction };
}

// ---------------------------------------------------------------------------------------------
// Words

export function word(...parts: Array<WordInput | null | undefined | false>): Word {
  const flat: Part[] = [];
  for (const input of parts) {
    if (input === null || input === undefined || input === false) continue;
    flat.push(...toWord(input).parts);
  }
  return { kind: 'word', parts: flat };
}

export function toWord(input: WordInput): Word {
  if (typeof input === 'string' || typeof input === 'number') return { kind: 'word', parts: [bare(input)] };
  if (isWord(input)) return input;
  return { kind: 'word', parts: [input] };
}

export function isWord(input: unknown): input is Word {
  return typeof input === 'object' && input !== null && (input as { kind?: unknown }).kind === 'word';
}

// ---------------------------------------------------------------------------------------------
// Commands

/** A simple command. Inputs may be words, parts, strings (bare) or arrays of them (spread in). */
export function argv(...inputs: WordInputs): ArgvCommand {
  const words = collectWords(inputs);
  if (words.length === 0) throw new Error('argv() needs at least one word');
  return { kind: 'argv', words };
}

type WordInputs = Array<OptionalWordInput | readonly OptionalWordInput[]>;

function collectWords(inputs: WordInputs): Word[] {
  const words: Word[] = [];
  for (const input of inputs) {
    const items = (Array.isArray(input) ? input : [input]) as OptionalWordInput[];
    for (const item of items) {
      if (item === null || item === undefined || item === false) continue;
      words.push(toWord(item));
    }
  }
  return words;
}

/** `docker …`: Kamal's `docker(*args)`. */
export function docker(...inputs: WordInputs): ArgvCommand {
  return argv('docker', ...inputs);
}

/** A trusted literal command written in our source, e.g. `while read line; do …; done`. */
export function script(text: string): ArgvCommand {
  return argv(raw(text));
}

function list(kind: ListCommand['kind'], commands: OptionalCommand[]): Command {
  const parts = commands.filter((command): command is Command => Boolean(command));
  if (parts.length === 0) throw new Error(`${kind}() needs at least one command`);
  if (parts.length === 1) return parts[0]!;
  return { kind, parts };
}

/** `a && b` (Kamal's combine). Falsy entries are dropped, like Kamal's `compact`. */
export function and(...commands: OptionalCommand[]): Command {
  return list('and', commands);
}

/** `a || b` (Kamal's any). */
export function or(...commands: OptionalCommand[]): Command {
  return list('or', commands);
}

/** `a ; b` (Kamal's chain). */
export function seq(...commands: OptionalCommand[]): Command {
  return list('seq', commands);
}

/** `a | b` (Kamal's pipe). */
export function pipe(...commands: OptionalCommand[]): Command {
  return list('pipe', commands);
}

/** `cmd <op> target`, e.g. redirect(cat, '2>', '/dev/null'); `2>&1` and `>&2` take no target. */
export function redirect(command: Command, op: RedirectOp, target?: WordInput): RedirectCommand {
  if (TARGETLESS_REDIRECTS.has(op)) {
    if (target !== undefined) throw new Error(`redirect ${op} takes no target`);
    return { kind: 'redirect', command, op };
  }
  if (target === undefined) throw new Error(`redirect ${op} needs a target`);
  return { kind: 'redirect', command, op, target: toWord(target) };
}

/** `cmd > file` (Kamal's write). */
export function write(command: Command, file: WordInput): RedirectCommand {
  return redirect(command, '>', file);
}

/** `cmd >> file` (Kamal's append). */
export function append(command: Command, file: WordInput): RedirectCommand {
  return redirect(command, '>>', file);
}

/** `(cmd)`: no spaces inside the parentheses, as Kamal writes `(echo "…" && exit 1)`. */
export function group(command: Command): GroupCommand {
  return { kind: 'group', command };
}

/** `sh -c '<cmd>'` (Kamal's shell). */
export function shell(command: Command): ArgvCommand {
  return argv('sh', '-c', quoted(command));
}

/** `xargs <cmd>` (Kamal's xargs): the words of a simple command after `xargs`. */
export function xargs(command: Command): ArgvCommand {
  if (command.kind !== 'argv') throw new Error('xargs() takes a simple command');
  return { kind: 'argv', words: [toWord('xargs'), ...command.words] };
}

/** A copy of a simple command with more words at the end. */
export function withWords(command: Command, ...inputs: WordInputs): ArgvCommand {
  if (command.kind !== 'argv') throw new Error('withWords() takes a simple command');
  return { kind: 'argv', words: [...command.words, ...collectWords(inputs)] };
}

// ---------------------------------------------------------------------------------------------
// Kamal's argumentize / optionize

export type Scalar = string | number | boolean | null | undefined;
export type Attributes =
  | Readonly<Record<string, Scalar>>
  | ReadonlyArray<string | number | readonly [string, Scalar]>
  | string
  | number
  | null
  | undefined;

export type ArgumentizeOptions = { readonly sensitive?: boolean; readonly redaction?: string };

/**
 * Kamal's argumentize: for each attribute `[flag, KEY="value"]`; a blank value (nil, empty or
 * whitespace-only string) gives a bare `KEY`, `false` gives `KEY=false`. A list of plain strings
 * (or one string) gives `[flag, item]` for each, unquoted (bare). With `sensitive`, the value is
 * a secret and displays as `KEY=[REDACTED]`.
 */
export function argumentize(flag: string, attributes: Attributes, options: ArgumentizeOptions = {}): Word[] {
  const words: Word[] = [];
  for (const [key, val] of attributePairs(attributes)) {
    words.push(toWord(flag));
    if (isPresent(val)) {
      const escaped = options.sensitive
        ? sensitive(value(val as string | number | boolean), options.redaction ?? DEFAULT_REDACTION)
        : value(val as string | number | boolean);
      words.push(word(bare(key), raw('='), escaped));
    } else if (val === false) {
      words.push(word(bare(key), raw('=false')));
    } else {
      words.push(word(bare(key)));
    }
  }
  return words;
}

export type OptionValue = Scalar | ReadonlyArray<Scalar>;
export type Options = Readonly<Record<string, OptionValue>> | ReadonlyArray<readonly [string, OptionValue]>;

/**
 * Kamal's optionize: `--key "value"` per option (`--key "a" --key "b"` for a list), a bare `--key`
 * for `true`; with `{ with: '=' }` one word `--key="value"`. `false` is a value (`--key "false"`),
 * and null/undefined give an empty value `""`.
 */
export function optionize(options: Options, settings: { readonly with?: string } = {}): Word[] {
  const words: Word[] = [];
  const entries: ReadonlyArray<readonly [string, OptionValue]> = Array.isArray(options)
    ? (options as ReadonlyArray<readonly [string, OptionValue]>)
    : Object.entries(options as Record<string, OptionValue>);
  for (const [key, optionValue] of entries) {
    const values: readonly Scalar[] = Array.isArray(optionValue) ? (optionValue as readonly Scalar[]) : [optionValue as Scalar];
    for (const val of values) {
      const flag = word(raw('--'), bare(key));
      if (val === true) {
        words.push(flag);
      } else if (settings.with !== undefined) {
        words.push(word(flag, raw(settings.with), value(val ?? '')));
      } else {
        words.push(flag, word(value(val ?? '')));
      }
    }
  }
  return words;
}

function attributePairs(attributes: Attributes): Array<readonly [string, Scalar]> {
  if (attributes === null || attributes === undefined) return [];
  if (typeof attributes === 'string' || typeof attributes === 'number') return [[String(attributes), undefined]];
  if (Array.isArray(attributes)) {
    return (attributes as ReadonlyArray<string | number | readonly [string, Scalar]>).map((item) =>
      Array.isArray(item) ? [String(item[0]), item[1]] as const : [String(item), undefined] as const,
    );
  }
  return Object.entries(attributes as Record<string, Scalar>);
}

/** Ruby's `present?` for the scalars config can hold. */
function isPresent(val: Scalar): boolean {
  if (val === null || val === undefined || val === false) return false;
  if (typeof val === 'string') return !/^\s*$/.test(val);
  return true;
}

function noNul(text: string): string {
  if (text.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  return text;
}
