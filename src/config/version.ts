// Ruby's Gem::Version ordering, enough to compare `minimum_version` with Kamal's version.

export const KAMAL_VERSION = '2.6.0';

const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

export function isGemVersion(version: string): boolean {
  return VALID.test(version);
}

type Segment = bigint | string;

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === 0n) end--;
  return segments.slice(0, end);
}

// Gem::Version's canonical segments: numbers (of any size) and letter runs; the release part (up
// to the first letters) and the prerelease part each lose their trailing zeros, so 1.0.a.0 is 1.a.
function canonicalSegments(version: string): Segment[] {
  const parts = version.trim().replace(/-/g, '.pre.').match(/[0-9]+|[a-z]+/gi) ?? [];
  const segments = parts.map((part): Segment => (/^\d/.test(part) ? BigInt(part) : part));
  const prerelease = segments.findIndex((segment) => typeof segment === 'string');
  const split = prerelease === -1 ? segments.length : prerelease;
  return [...dropTrailingZeros(segments.slice(0, split)), ...dropTrailingZeros(segments.slice(split))];
}

/** Negative when a < b, zero when equal, positive when a > b (Gem::Version#<=>). */
export function compareGemVersions(a: string, b: string): number {
  const left = canonicalSegments(a);
  const right = canonicalSegments(b);
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const l = left[index] ?? 0n;
    const r = right[index] ?? 0n;
    if (l === r) continue;
    // A letter run marks a prerelease: it sorts before any number.
    if (typeof l === 'string' && typeof r !== 'string') return -1;
    if (typeof l !== 'string' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}
