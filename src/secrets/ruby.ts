// Small re-creations of Ruby string behaviour that Kamal's secrets code relies on. Matching them
// keeps values byte-identical to what Kamal 2.6.0 produces from the same input.

/** Ruby `String#chomp`: removes one trailing "\r\n", "\n" or "\r". */
export function chomp(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n') || text.endsWith('\r')) return text.slice(0, -1);
  return text;
}

/** Ruby `String#strip`: whitespace is NUL, \t, \n, \v, \f, \r and space (ASCII only). */
export function rubyStrip(text: string): string {
  return text.replace(/^[\0\t\n\v\f\r ]+/, '').replace(/[\0\t\n\v\f\r ]+$/, '');
}

/** ActiveSupport `blank?` for strings (and nil): empty or only whitespace. */
export function isBlank(text: string | undefined | null): boolean {
  return text === undefined || text === null || /^[\s]*$/u.test(text);
}

/** Ruby `String#split(separator)` with a string separator: trailing empty fields are dropped. */
export function rubySplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Ruby `Array#inspect` for an array of plain strings, e.g. `["a", "b"]`. */
export function inspectStrings(items: readonly string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
}

/** Ruby `String#reverse`: reverses characters (code points), not UTF-16 units. */
export function reverseString(text: string): string {
  return Array.from(text).reverse().join('');
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Ruby `Base64.decode64` (`unpack("m")`): lenient. Characters outside the standard alphabet are
 * skipped, an `=` ends the data once a quantum has two or more characters, and a trailing partial
 * quantum still yields its whole bytes.
 */
export function rubyDecode64(text: string): Buffer {
  const bytes: number[] = [];
  let quantum: number[] = [];
  for (const char of text) {
    if (char === '=' && quantum.length >= 2) break;
    const value = BASE64_ALPHABET.indexOf(char);
    if (value < 0 || char.length !== 1) continue;
    quantum.push(value);
    if (quantum.length === 4) {
      const [a, b, c, d] = quantum as [number, number, number, number];
      bytes.push(((a << 2) | (b >> 4)) & 0xff, ((b << 4) | (c >> 2)) & 0xff, ((c << 6) | d) & 0xff);
      quantum = [];
    }
  }
  const [a, b, c] = quantum;
  if (a !== undefined && b !== undefined) {
    bytes.push(((a << 2) | (b >> 4)) & 0xff);
    if (c !== undefined) bytes.push(((b << 4) | (c >> 2)) & 0xff);
  }
  return Buffer.from(bytes);
}
