// Ruby's String#dump, which Kamal uses to escape shell values (shell.ts) and env file lines
// (env-file.ts): `"`, `\\` and control characters backslash-escaped, `#` before `{`, `$` or `@`
// escaped, for an ASCII-only string.
const DUMP_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\f': '\\f',
  '\v': '\\v',
  '\b': '\\b',
  '\x07': '\\a',
  '\x1b': '\\e',
};

/** String#dump of an ASCII-only string, without the surrounding double quotes. */
export function rubyDumpBody(ascii: string): string {
  let out = '';
  for (let index = 0; index < ascii.length; index++) {
    const char = ascii[index]!;
    const code = char.charCodeAt(0);
    const escape = DUMP_ESCAPES[char];
    if (escape !== undefined) out += escape;
    else if (char === '#' && /[{$@]/.test(ascii[index + 1] ?? '')) out += '\\#';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += char;
  }
  return out;
}
