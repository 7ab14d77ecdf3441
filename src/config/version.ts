// Ruby's Gem::Version ordering, enough to compare `minimum_version` with Kamal's version.

export const KAMAL_VERSION = '2.6.0';

const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

export function isGemVersion(version: string): boolean {
  return VALID.test(version);
}

function segments(version: string): Array<number | string> {
  const cleaned = version.trim().replace(/-/g, '.pre.');
  const parts = cleaned.match(/[0-9]+|[a-z]+/gi) ?? [];
  const out = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  // Trailing zeros do not count (1.0 == 1); Gem drops them from the end, up to a string segment.
  while (out.length > 0 && out[out.length - 1] === 0) out.pop();
  return out;
}

/** Negative when a < b, zero when equal, positive when a > b (Gem::Version#<=>). */
export function compareGemVersions(a: string, b: string): number {
  const left = segments(a);
  const right = segments(b);
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const l = left[index] ?? 0;
    const r = right[index] ?? 0;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r === 'number') return -1;
    if (typeof l === 'number' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}
