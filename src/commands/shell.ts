// The one place that turns a Command (command.ts) into shell text. It writes the same bytes Kamal
// 2.6.0 sends through SSHKit 1.23:
//   - words are joined with single spaces; and/or/seq/pipe with ` && `, ` || `, ` ; `, ` | `;
//   - the first token of the whole line is mapped like SSHKit's command map: `docker` and the
//     builtins `if test time exec` stay as they are, a first token containing whitespace is sent
//     unmapped, anything else gets `/usr/bin/env ` in front. Nothing else is wrapped around it.
//
//   render(command)            the exact line to send (real secret values)
//   renderForDisplay(command)  the same line with sensitive parts shown as `[REDACTED]`
//   toArgv(command)            argv for running a simple command without a shell (local runner)
//   escapeShellValue(text)     Kamal's escape_shell_value, for the rare caller that needs the text

import type { Command, DoubleQuotedItem, Part, Word } from './command.ts';
import { rubyDumpBody } from './ruby-string.ts';

export type RenderOptions = {
  /** Show sensitive parts as their redaction (`[REDACTED]`) instead of the real value. */
  readonly redact?: boolean;
  /** Apply SSHKit's `/usr/bin/env ` first-token mapping (default true). */
  readonly mapFirstToken?: boolean;
};

type Context = { readonly redact: boolean };

const UNMAPPED_FIRST_TOKENS: ReadonlySet<string> = new Set(['docker', 'if', 'test', 'time', 'exec']);
const LIST_SEPARATORS = { and: '&&', or: '||', seq: ';', pipe: '|' } as const;

export function render(command: Command, options: RenderOptions = {}): string {
  const context: Context = { redact: options.redact ?? false };
  const line = renderCommand(command, context);
  if (options.mapFirstToken === false) return line;
  const first = firstWord(command);
  if (first === undefined) return line;
  // Decided on the real text, so the displayed line is mapped exactly like the one sent.
  const token = renderWord(first);
  if (/\s/.test(token) || UNMAPPED_FIRST_TOKENS.has(token)) return line;
  return `/usr/bin/env ${line}`;
}

export function renderForDisplay(command: Command, options: Omit<RenderOptions, 'redact'> = {}): string {
  return render(command, { ...options, redact: true });
}

/** One word as shell text (no first-token mapping). */
export function renderWord(word: Word, options: Pick<RenderOptions, 'redact'> = {}): string {
  return renderParts(word.parts, { redact: options.redact ?? false }, '');
}

// ---------------------------------------------------------------------------------------------
// Commands

function renderCommand(command: Command, context: Context): string {
  switch (command.kind) {
    case 'argv':
      return command.words.map((word) => renderParts(word.parts, context, '')).join(' ');
    case 'and':
    case 'or':
    case 'seq':
    case 'pipe':
      return command.parts.map((part) => renderCommand(part, context)).join(` ${LIST_SEPARATORS[command.kind]} `);
    case 'redirect': {
      const head = `${renderCommand(command.command, context)} ${command.op}`;
      return command.target ? `${head} ${renderParts(command.target.parts, context, '')}` : head;
    }
    case 'group':
      return `(${renderCommand(command.command, context)})`;
  }
}

/** The first word of the leftmost simple command, if the line starts with one. */
function firstWord(command: Command): Word | undefined {
  switch (command.kind) {
    case 'argv':
      return command.words[0];
    case 'and':
    case 'or':
    case 'seq':
    case 'pipe':
      return command.parts[0] && firstWord(command.parts[0]);
    case 'redirect':
      return firstWord(command.command);
    case 'group':
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Words and parts

/** `before` is what the current word already holds, to know whether a part starts the word. */
function renderParts(parts: readonly Part[], context: Context, before: string): string {
  let out = '';
  for (const part of parts) out += renderPart(part, context, before + out);
  return out;
}

function renderPart(part: Part, context: Context, before: string): string {
  switch (part.kind) {
    case 'raw':
    case 'shellCode':
      return part.text;
    case 'value':
      return escapeShellValue(part.text, { expand: part.expand });
    case 'bare':
      return isShellSafe(part.text, before === '') ? part.text : singleQuote(part.text);
    case 'squote':
      return singleQuote(part.text);
    case 'shellwords':
      return shellwordsEscape(part.text);
    case 'dquote':
      return `"${part.items.map((item) => renderDoubleQuotedItem(item, context)).join('')}"`;
    case 'subst':
      return `$(${renderCommand(part.command, context)})`;
    case 'quoted':
      return singleQuote(renderCommand(part.command, context));
    case 'sensitive':
      return context.redact ? part.redaction : renderParts(part.parts, context, before);
  }
}

function renderDoubleQuotedItem(item: DoubleQuotedItem, context: Context): string {
  if (typeof item === 'string') return item.replace(/[\\"$`]/g, (char) => `\\${char}`);
  if (item.kind === 'raw') return item.text;
  return `$(${renderCommand(item.command, context)})`;
}

// ---------------------------------------------------------------------------------------------
// Escaping

const ALWAYS_SAFE = /^[A-Za-z0-9_@%+=:,./^-]*$/;
// `~` and `#` are special only at the start of a word (tilde expansion, comment).
const SAFE_AFTER_START = /^[A-Za-z0-9_@%+=:,./^~#-]*$/;

/** True when `text` reads as itself, unquoted, in a POSIX shell and in bash. */
export function isShellSafe(text: string, atWordStart = true): boolean {
  if (atWordStart) return ALWAYS_SAFE.test(text) || (text !== '' && ALWAYS_SAFE.test(text[0]!) && SAFE_AFTER_START.test(text));
  return SAFE_AFTER_START.test(text);
}

/** `'text'`, each `'` written as `'\''` (Kamal's shell() quoting). */
/** Ruby's Shellwords.escape: a backslash before every unsafe character, `'\n'` for newlines. */
export function shellwordsEscape(text: string): string {
  if (text === '') return "''";
  return text.replace(/[^A-Za-z0-9_\-.,:+/@\n]/gu, '\\$&').replace(/\n/g, "'\n'");
}

export function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// Kamal leaves `$` unescaped when it starts a `${…}` group, so the remote shell expands it. Sextant
// keeps that for plain references (`${NAME}`, `${NAME:-word}`, `${NAME-word}` with a simple word)
// and escapes every other `$`, so that no value can reach command substitution or arithmetic.
const DOLLAR_NOT_STARTING_A_SIMPLE_GROUP = /\$(?!\{[A-Za-z_][A-Za-z0-9_]*(?::?-[A-Za-z0-9_@%+=:,./ -]*)?\})/g;

/**
 * Kamal's `escape_shell_value`: ASCII runs become Ruby `String#dump` output (double-quoted; `"`, `\`
 * and control characters backslash-escaped; `#` before `{`, `$`, `@` written `\#`), with backticks
 * written `` \` `` and `$` written `\$` unless it starts a `${NAME}` group; runs of non-ASCII
 * characters are written as they are, outside the quotes. With `expand: false` every `$` is
 * escaped. An empty value gives `""` (Kamal writes nothing, which drops the argument).
 */
export function escapeShellValue(text: string, options: { readonly expand?: boolean } = {}): string {
  if (text === '') return '""';
  const expand = options.expand ?? true;
  const runs = text.match(/[\x00-\x7F]+|[^\x00-\x7F]+/gu) ?? [];
  return runs
    .map((run) => {
      if (!/^[\x00-\x7F]/.test(run)) return run;
      const dumped = rubyDump(run).replace(/`/g, '\\`');
      return expand ? dumped.replace(DOLLAR_NOT_STARTING_A_SIMPLE_GROUP, '\\$') : dumped.replace(/\$/g, '\\$');
    })
    .join('');
}

function rubyDump(ascii: string): string {
  return `"${rubyDumpBody(ascii)}"`;
}

// ---------------------------------------------------------------------------------------------
// Running without a shell

export class NeedsShellError extends Error {
  override readonly name = 'NeedsShellError';
}

/**
 * The argv a shell would build for a simple command, for running it without a shell. Throws
 * NeedsShellError when the command is not a simple command or its text needs the shell (an
 * expansion, a glob, an operator, …). Secrets are included: never log the result.
 */
export function toArgv(command: Command): string[] {
  if (command.kind !== 'argv') throw new NeedsShellError(`a ${command.kind} command needs a shell`);
  return splitShellWords(renderCommand(command, { redact: false }));
}

/** Splits shell text into words, accepting only quoting: no expansion, glob or operator. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let index = 0;
  const fail = (what: string): never => {
    throw new NeedsShellError(`${what} at offset ${index} needs a shell: ${JSON.stringify(text)}`);
  };
  while (index < text.length) {
    const char = text[index]!;
    if (char === ' ' || char === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      index++;
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end === -1) fail('an unterminated single quote');
      current += text.slice(index + 1, end);
      inWord = true;
      index = end + 1;
      continue;
    }
    if (char === '"') {
      index++;
      for (;;) {
        if (index >= text.length) fail('an unterminated double quote');
        const inner = text[index]!;
        if (inner === '"') break;
        if (inner === '$' || inner === '`') fail(`"${inner}" inside double quotes`);
        if (inner === '\\') {
          const next = text[index + 1];
          if (next === undefined) fail('a trailing backslash');
          if (next === '\n') index += 2;
          else if (next === '$' || next === '`' || next === '"' || next === '\\') {
            current += next;
            index += 2;
          } else {
            current += '\\';
            index++;
          }
          continue;
        }
        current += inner;
        index++;
      }
      inWord = true;
      index++;
      continue;
    }
    if (char === '\\') {
      const next = text[index + 1];
      if (next === undefined) fail('a trailing backslash');
      if (next !== '\n') {
        current += next;
        inWord = true;
      }
      index += 2;
      continue;
    }
    if (/[\n|&;<>()$`*?[\]{}]/.test(char)) fail(`"${char}"`);
    if (!inWord && (char === '~' || char === '#')) fail(`"${char}" at the start of a word`);
    current += char;
    inWord = true;
    index++;
  }
  if (inWord) words.push(current);
  return words;
}
