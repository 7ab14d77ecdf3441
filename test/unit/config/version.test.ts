// compareGemVersions orders versions as Ruby's Gem::Version does; `minimum_version` is checked
// against Kamal's version with it, and kamal-proxy's version against v0.9.0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareGemVersions, isGemVersion } from '../../../src/config/version.ts';

const sign = (n: number) => Math.sign(n);

// [a, b, a <=> b]
const PAIRS: Array<[string, string, -1 | 0 | 1]> = [
  // numeric segments compare as numbers, not text
  ['10.0.0', '2.6.0', 1],
  ['2.10.0', '2.9.0', 1],
  ['2.6.10', '2.6.9', 1],
  ['1.9', '1.10', -1],
  ['2.6.0', '2.6.1', -1],
  ['3', '2.99.99', 1],
  // trailing zeros do not count
  ['2.6', '2.6.0', 0],
  ['2.6.0.0', '2.6', 0],
  ['1', '1.0.0', 0],
  ['2.6.0', '2.6.0', 0],
  // a string segment marks a prerelease, which sorts before the release
  ['2.6.0.rc1', '2.6.0', -1],
  ['2.6.0.beta', '2.6.0.rc', -1],
  ['2.6.0.rc1', '2.6.0.rc2', -1],
  ['2.6.0.rc10', '2.6.0.rc9', 1],
  ['2.6.0.rc1', '2.5.9', 1],
  ['2.7.0.a', '2.6.0', 1],
  // "-" starts a prerelease too
  ['2.6.0-rc1', '2.6.0', -1],
  ['2.6.0-rc1', '2.5.0', 1],
  // surrounding whitespace is ignored
  [' 2.6.0 ', '2.6.0', 0],
];

function assertOrders(pairs: Array<[string, string, -1 | 0 | 1]>): void {
  for (const [a, b, expected] of pairs) {
    assert.is(sign(compareGemVersions(a, b)), expected, `${JSON.stringify(a)} <=> ${JSON.stringify(b)}`);
    assert.is(sign(compareGemVersions(b, a)), -expected, `${JSON.stringify(b)} <=> ${JSON.stringify(a)}`);
  }
}

test('pairs: the sign of a <=> b, and the opposite for b <=> a', () => assertOrders(PAIRS));

// Facts from RubyGems' own tests of Gem::Version (<=>, ==, canonical segments, semver-style
// prereleases), as RubyGems 3.6 has them: "-" reads as ".pre.".
const RUBYGEMS: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0.0', 0],
  ['1.0', '1.0.a', 1],
  ['1.8.2', '0.0.0', 1],
  ['1.8.2', '1.8.2.a', 1],
  ['1.8.2.b', '1.8.2.a', 1],
  ['1.8.2.a', '1.8.2', -1],
  ['1.8.2.a10', '1.8.2.a9', 1],
  ['', '0', 0],
  ['   ', '0', 0],
  ['0.beta.1', '0.0.beta.1', 0],
  ['0.0.beta', '0.0.beta.1', -1],
  ['0.0.beta', '0.beta.1', -1],
  ['5.a', '5.0.0.rc2', -1],
  ['5.x', '5.0.0.rc2', 1],
  ['1.9.3', '1.9.3', 0],
  ['1.9.3', '1.9.2.99', 1],
  ['1.9.3', '1.9.3.1', -1],
  ['1.2', '1.3', -1],
  ['1.2.b1', '1.2.b.1', 0],
  ['1.2.pre.1', '1.2.0.pre.1.0', 0],
  ['1.0.0.a.1.0', '1.a.1', 0],
  ['1.2.3-1', '1.2.3.pre.1', 0],
  ['1.freeze.test', '1', -1],
  ['1.0 ', '1.0', 0],
  ['\n1.0\n', '1.0', 0],
  ['1.0.0-alpha', '1.0.0-alpha.1', -1],
  ['1.0.0-alpha.1', '1.0.0-beta.2', -1],
  ['1.0.0-beta.2', '1.0.0-beta.11', -1],
  ['1.0.0-beta.11', '1.0.0-rc.1', -1],
  ['1.0.0-rc1', '1.0.0', -1],
  ['1.0.0-1', '1', -1],
  ['1.0.0', '0.0.1.20220404083012', 1],
  ['0.7.0', '0.6.63000', 1],
  ['18.0.1', '18.0.2', -1],
  // trailing zeros dropped from the release part and the prerelease part each
  ['1.0.a', '1.a', 0],
  ['1.a.0', '1.a', 0],
  ['1.0.a.0.0', '1.a', 0],
  ['1.0.a', '1.0.0.a.0', 0],
  ['1.0.a.0.b', '1.a.b', 1], // inside the prerelease a zero stays, and a number sorts after letters
  // Ruby's integers have no size limit
  ['1.99999999999999999999', '1.99999999999999999998', 1],
];

test("RubyGems' Gem::Version cases: the sign of a <=> b, and the opposite for b <=> a", () => assertOrders(RUBYGEMS));

test("sorting gives Gem::Version's documented order", () => {
  const sorted = ['0.9', '1.0.a.2', '1.0.a10', '1.0.b1', '1.0.b.2', '1.0.b10', '1.0', '1.0.1'];
  const shuffled = ['1.0.b10', '1.0', '0.9', '1.0.1', '1.0.b.2', '1.0.a10', '1.0.b1', '1.0.a.2'];
  assert.equal([...shuffled].sort(compareGemVersions), sorted);
});

test('the minimum_version check: versions above Kamal 2.6.0 are newer, below are older', () => {
  assert.ok(compareGemVersions('10.0.0', '2.6.0') > 0, '10.0.0 is newer than 2.6.0');
  assert.ok(compareGemVersions('2.6.0', '10.0.0') < 0);
  assert.ok(compareGemVersions('2.5.99', '2.6.0') < 0);
});

test('well-formed and malformed version strings', () => {
  for (const good of ['2.6.0', '1', '1.0.a10', '2.6.0-rc1', '2.6.0-rc.1', ' 2.6.0 ', '']) assert.ok(isGemVersion(good), `${JSON.stringify(good)} is a version`);
  for (const bad of ['not-a-version', 'x', 'v2.6.0', '2..6', '2.6.', '1.0 beta', 'junk', '1.0\n2.0', '1..2', '1.2 3.4', '2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.']) assert.not.ok(isGemVersion(bad), `${JSON.stringify(bad)} is not a version`);
});

test.run();
