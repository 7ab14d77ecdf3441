// The small part of ERB that Kamal users write in deploy.yml: reading environment variables.
// Anything else inside <% %> is refused, so a config never runs code.

export interface ErbEnv {
  readonly [name: string]: string | undefined;
}

export interface ErbResult {
  text: string;
  /** Source line (1-based) of each output line; index 0 is output line 1. */
  sourceLines: number[];
}

/** A template problem: `line` is where the offending tag starts. */
export class ErbError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

const NAME = String.raw`(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')`;
const DEFAULT = String.raw`(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|(nil))`;
const ENV_INDEX = new RegExp(String.raw`^ENV\s*\[\s*${NAME}\s*\]$`);
const ENV_FETCH = new RegExp(String.raw`^ENV\.fetch\s*\(\s*${NAME}\s*(?:,\s*${DEFAULT}\s*)?\)$`);

function unquoteDouble(text: string): string {
  return text.replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t', s: ' ', '0': '\0' })[ch] ?? ch);
}

function unquoteSingle(text: string): string {
  return text.replace(/\\([\\'])/g, '$1');
}

function literal(double: string | undefined, single: string | undefined): string | undefined {
  if (double !== undefined) return unquoteDouble(double);
  if (single !== undefined) return unquoteSingle(single);
  return undefined;
}

/** Value of one `<%= ... %>` expression, or an ErbError for anything but the supported ENV forms. */
function evaluate(code: string, env: ErbEnv, line: number): string {
  const expression = code.trim();
  const index = ENV_INDEX.exec(expression);
  if (index) return env[literal(index[1], index[2]) ?? ''] ?? '';

  const fetch = ENV_FETCH.exec(expression);
  if (fetch) {
    const name = literal(fetch[1], fetch[2]) ?? '';
    const value = env[name];
    if (value !== undefined) return value;
    const fallback = literal(fetch[3], fetch[4]) ?? fetch[5] ?? (fetch[6] !== undefined ? '' : undefined);
    if (fallback !== undefined) return fallback;
    throw new ErbError(line, `ENV.fetch("${name}") failed: the environment variable ${name} is not set and no default was given`);
  }
  throw unsupported(code, line, '=');
}

function unsupported(code: string, line: number, marker = ''): ErbError {
  const shown = code.trim().replace(/\s+/g, ' ');
  return new ErbError(
    line,
    `unsupported ERB <%${marker}${shown ? ` ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}` : ''} %>: only ENV[...] / ENV.fetch(...) are supported inside <%= %>`,
  );
}

function countNewlines(text: string): number {
  let count = 0;
  for (const ch of text) if (ch === '\n') count++;
  return count;
}

/**
 * Renders `<%= ENV["X"] %>`, `<%= ENV['X'] %>`, `<%= ENV.fetch("X") %>`, `<%= ENV.fetch("X", "default") %>`,
 * `<%# comments %>`, `<%% literal`, and `-%>` (drops the newline right after the tag).
 */
export function renderErb(source: string, env: ErbEnv): ErbResult {
  let text = '';
  const sourceLines = [1];
  let line = 1;
  let position = 0;

  const emitSource = (chunk: string) => {
    for (const ch of chunk) {
      if (ch === '\n') {
        line++;
        sourceLines.push(line);
      }
    }
    text += chunk;
  };
  const emitValue = (value: string) => {
    for (const ch of value) if (ch === '\n') sourceLines.push(line);
    text += value;
  };

  while (position < source.length) {
    const open = source.indexOf('<%', position);
    if (open === -1) {
      emitSource(source.slice(position));
      break;
    }
    emitSource(source.slice(position, open));
    if (source.startsWith('<%%', open)) {
      emitSource('<%');
      position = open + 3;
      continue;
    }
    const tagLine = line;
    const close = source.indexOf('%>', open + 2);
    if (close === -1) throw new ErbError(tagLine, 'unterminated ERB tag: <% without a closing %>');

    let inner = source.slice(open + 2, close);
    const trimAfter = inner.endsWith('-');
    if (trimAfter) inner = inner.slice(0, -1);
    if (inner.startsWith('-')) inner = inner.slice(1);
    line += countNewlines(source.slice(open, close + 2));
    position = close + 2;

    if (inner.startsWith('#')) {
      // comment: no output
    } else if (inner.startsWith('=')) {
      emitValue(evaluate(inner.slice(1), env, tagLine));
    } else if (inner.trim() !== '') {
      throw unsupported(inner, tagLine);
    }

    const trimmed = trimAfter && source[position] === '\n' ? 1 : trimAfter && source.startsWith('\r\n', position) ? 2 : 0;
    if (trimmed > 0) {
      position += trimmed;
      line++;
      // The current output line has no text yet: it now starts on the next source line.
      if (text === '' || text.endsWith('\n')) sourceLines[sourceLines.length - 1] = line;
    }
  }
  return { text, sourceLines };
}
