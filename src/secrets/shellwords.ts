// Ruby's Shellwords, as Kamal uses it: `escape` for the JSON that `secrets fetch` prints and
// `split` for the inline `$(kamal secrets …)` command line.
import { UserError } from '../errors.ts';

/** Ruby `Shellwords.escape`: backslash before every character outside `A-Za-z0-9_-.,:+/@`, LF quoted. */
export function shellEscape(text: string): string {
  if (text === '') return "''";
  return text.replace(/[^A-Za-z0-9_\-.,:+/@\n]/gu, '\\$&').replace(/\n/g, "'\n'");
}

const WHITESPACE = new Set(['\t', '\n', '\v', '\f', '\r', ' ']);

/** Ruby `Shellwords.split`: words, single quotes (literal), double quotes and backslash escapes. */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let field = '';
  let pos = 0;
  for (;;) {
    const matchStart = pos;
    let at = pos;
    while (at < line.length && WHITESPACE.has(line[at]!)) at++;
    if (at >= line.length) break;

    const token = readToken(line, at);
    if (!token) {
      const garbage = line[at]!;
      const shown = (matchStart > 0 ? '...' : '') + line.slice(matchStart, at + 1);
      throw new UserError(`${garbage === '\0' ? 'Nul character' : 'Unmatched quote'} at ${matchStart}: ${shown}`);
    }
    field += token.text;
    at = token.end;
    if (at >= line.length) {
      words.push(field); // `\z` counts as a separator
      break;
    }
    if (WHITESPACE.has(line[at]!)) {
      words.push(field);
      field = '';
      at++;
    }
    pos = at;
  }
  return words;
}

function readToken(line: string, start: number): { text: string; end: number } | undefined {
  const first = line[start]!;
  if (first === "'") {
    const close = line.indexOf("'", start + 1);
    if (close < 0 || line.slice(start + 1, close).includes('\0')) return undefined;
    return { text: line.slice(start + 1, close), end: close + 1 };
  }
  if (first === '"') {
    let at = start + 1;
    while (at < line.length) {
      const char = line[at]!;
      if (char === '\0') return undefined;
      if (char === '"') {
        const inner = line.slice(start + 1, at);
        return { text: inner.replace(/\\([$`"\\\n])/g, '$1'), end: at + 1 };
      }
      if (char === '\\') {
        if (at + 1 >= line.length || line[at + 1] === '\0') return undefined;
        at += 2;
      } else {
        at++;
      }
    }
    return undefined;
  }
  if (first === '\\') {
    const next = line[start + 1];
    const escaped = next !== undefined && next !== '\0' ? next : '';
    // Ruby's `esc.gsub(/\\(.)/, '\1')`: `.` does not match a newline, so "\\\n" stays as is.
    const text = escaped === '' || escaped === '\n' ? '\\' + escaped : escaped;
    return { text, end: start + 1 + escaped.length };
  }
  if (first === '\0') return undefined;
  let at = start;
  while (at < line.length) {
    const char = line[at]!;
    if (char === '\0' || char === '\\' || char === "'" || char === '"' || WHITESPACE.has(char)) break;
    at++;
  }
  return { text: line.slice(start, at), end: at };
}
