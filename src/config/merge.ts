export type PlainHash = Record<string, unknown>;

export function isHash(value: unknown): value is PlainHash {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * ActiveSupport's `deep_merge`: hashes merge key by key (existing keys keep their position),
 * anything else in `over` (arrays, scalars, null) replaces what `base` had.
 */
export function deepMerge(base: PlainHash, over: PlainHash): PlainHash {
  const result: PlainHash = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isHash(current) && isHash(value) ? deepMerge(current, value) : value;
  }
  return result;
}
