export const REDACTED = '[REDACTED]';

/**
 * The shortest value hidden wherever it occurs. A shorter one ("y", "1", "on") cannot be told
 * apart from ordinary text: hiding it would garble every word that contains it. Such values are
 * still hidden where Sextant knows the field holds a secret (command arguments marked secret,
 * `sextant config`).
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Replaces every occurrence of any of `values` (those shorter than MIN_REDACTED_LENGTH ignored)
 * with `[REDACTED]`. Occurrences that overlap (one value inside or at the start of another, two
 * values sharing characters, "aaaa" in "aaaaa") become one `[REDACTED]`, so no character of any
 * value stays visible.
 */
export function redactValues(text: string, values: Iterable<string>): string {
  return redactHidden(text, hiddenValues(values));
}

/** The values `redactValues` hides, once: for a redactor called on every event and log line. */
export function hiddenValues(values: Iterable<string>): readonly string[] {
  return [...new Set(values)].filter((value) => value.length >= MIN_REDACTED_LENGTH);
}

/** `redactValues` with the values already through `hiddenValues`. */
export function redactHidden(text: string, unique: readonly string[]): string {
  if (unique.length === 0 || text.length === 0) return text;
  const ranges: Array<[start: number, end: number]> = [];
  for (const value of unique) {
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) ranges.push([at, at + value.length]);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);

  let out = '';
  let copied = 0;
  let [start, end] = ranges[0]!;
  for (const [nextStart, nextEnd] of ranges.slice(1)) {
    if (nextStart < end) {
      end = Math.max(end, nextEnd);
      continue;
    }
    out += text.slice(copied, start) + REDACTED;
    copied = end;
    [start, end] = [nextStart, nextEnd];
  }
  return out + text.slice(copied, start) + REDACTED + text.slice(end);
}
