export const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of any of `values` (empty ones ignored) with `[REDACTED]`, in one pass
 * with the longest values tried first, so a value that contains another is hidden whole.
 */
export function redactValues(text: string, values: Iterable<string>): string {
  const unique = [...new Set(values)].filter((value) => value.length > 0);
  if (unique.length === 0 || text.length === 0) return text;
  unique.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(unique.map(escapeRegExp).join('|'), 'g');
  return text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
