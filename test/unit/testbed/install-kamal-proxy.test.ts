// Where the testbed's kamal-proxy comes from: test/testbed/install-kamal-proxy.sh run against a
// temporary cache, a fake `go`, and a temporary copy of ../shared/kamal-proxy/v0.9.0 (the real binary).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;
const script = join(root, 'test/testbed/install-kamal-proxy.sh');
const realShared = join(root, '../shared/kamal-proxy/v0.9.0');
const realBinary = join(realShared, 'kamal-proxy');

interface Scene {
  dir: string;
  cache: string;
  shared: string;
  goCalls: string;
}

// goMode: 'fails' → like the module proxy's refusal; 'builds' → puts the real binary into $GOBIN.
function scene(opts: { goMode?: 'fails' | 'builds'; shared?: 'good' | 'tampered' | 'absent' } = {}): Scene & { go: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kp-install-'));
  const cache = join(dir, 'cache');
  const sharedRoot = join(dir, 'shared');
  const shared = join(sharedRoot, 'kamal-proxy/v0.9.0');
  const goCalls = join(dir, 'go-calls');
  const go = join(dir, 'go');
  const build = opts.goMode === 'builds' ? `mkdir -p "$GOBIN" && cp ${JSON.stringify(realBinary)} "$GOBIN/kamal-proxy"` : `echo "go: 403 Forbidden (fake)" >&2; exit 1`;
  writeFileSync(go, `#!/bin/sh\necho "$@" >> ${JSON.stringify(goCalls)}\n${build}\n`);
  chmodSync(go, 0o755);
  if ((opts.shared ?? 'good') !== 'absent') {
    mkdirSync(shared, { recursive: true });
    copyFileSync(realBinary, join(shared, 'kamal-proxy'));
    chmodSync(join(shared, 'kamal-proxy'), 0o755);
    copyFileSync(join(realShared, 'kamal-proxy.sha256'), join(shared, 'kamal-proxy.sha256'));
    if (opts.shared === 'tampered') writeFileSync(join(shared, 'kamal-proxy'), readFileSync(join(shared, 'kamal-proxy')).subarray(0, 1024 * 1024));
  }
  return { dir, cache, shared: sharedRoot, goCalls, go };
}

function install(s: Scene & { go: string }, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    CACHE: s.cache,
    GO: s.go,
    GOBIN: join(s.cache, 'bin'),
    KAMAL_PROXY_VERSION: 'v0.9.0',
    SEXTANT_SHARED_DIR: s.shared,
    ...extraEnv,
  };
  const r = spawnSync('bash', [script], { env, encoding: 'utf8' });
  return { code: r.status, log: `${r.stdout}${r.stderr}` };
}

const cachedBinary = (s: Scene) => join(s.cache, 'bin/kamal-proxy');
const sameAsReal = (path: string) => readFileSync(path).equals(readFileSync(realBinary));
const goWasCalled = (s: Scene) => existsSync(s.goCalls);

test('the real binary is beside the checkout (the other cases need it)', () => {
  assert.ok(existsSync(realBinary), `${realBinary} is missing`);
});

test('go install refused, ../shared binary checked and cached, and the log says so', () => {
  const s = scene({ goMode: 'fails' });
  try {
    const r = install(s);
    assert.is(r.code, 0, r.log);
    assert.ok(goWasCalled(s));
    assert.match(r.log, /go install failed: .*403 Forbidden/);
    assert.match(r.log, /using .*shared\/kamal-proxy\/v0\.9\.0\/kamal-proxy \(sha256 checked\)/);
    assert.ok(sameAsReal(cachedBinary(s)));
    assert.is(readFileSync(`${cachedBinary(s)}.version`, 'utf8').trim(), 'v0.9.0');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('a second run uses the cache and does not call go', () => {
  const s = scene({ goMode: 'fails' });
  try {
    assert.is(install(s).code, 0);
    rmSync(s.goCalls, { force: true });
    const r = install(s);
    assert.is(r.code, 0, r.log);
    assert.match(r.log, /using the cached binary/);
    assert.not.ok(goWasCalled(s));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('go install that works is used before ../shared', () => {
  const s = scene({ goMode: 'builds', shared: 'absent' });
  try {
    const r = install(s);
    assert.is(r.code, 0, r.log);
    assert.match(r.log, /using the one built by go install/);
    assert.is(readFileSync(s.goCalls, 'utf8').trim(), 'install github.com/basecamp/kamal-proxy/cmd/kamal-proxy@v0.9.0');
    assert.ok(sameAsReal(cachedBinary(s)));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('KAMAL_PROXY_BIN comes first: go is not called and it replaces a stale cache', () => {
  const s = scene({ goMode: 'fails', shared: 'absent' });
  try {
    mkdirSync(join(s.cache, 'bin'), { recursive: true });
    writeFileSync(cachedBinary(s), '#!/bin/sh\necho "HTTP proxy for zero downtime deployments; deploy"\n');
    chmodSync(cachedBinary(s), 0o755);
    writeFileSync(`${cachedBinary(s)}.version`, 'v0.8.0\n');
    const r = install(s, { KAMAL_PROXY_BIN: realBinary });
    assert.is(r.code, 0, r.log);
    assert.match(r.log, /using KAMAL_PROXY_BIN=/);
    assert.not.ok(goWasCalled(s));
    assert.ok(sameAsReal(cachedBinary(s)));
    assert.is(readFileSync(`${cachedBinary(s)}.version`, 'utf8').trim(), 'v0.9.0');
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('KAMAL_PROXY_BIN that is not a runnable kamal-proxy is refused, naming it', () => {
  const s = scene({ goMode: 'fails' });
  try {
    const missing = install(s, { KAMAL_PROXY_BIN: join(s.dir, 'nope') });
    assert.is(missing.code, 1);
    assert.match(missing.log, /KAMAL_PROXY_BIN=.*nope is not a kamal-proxy binary that runs here/);
    const impostor = join(s.dir, 'impostor');
    writeFileSync(impostor, '#!/bin/sh\necho something else\n');
    chmodSync(impostor, 0o755);
    const wrong = install(s, { KAMAL_PROXY_BIN: impostor });
    assert.is(wrong.code, 1);
    assert.match(wrong.log, /impostor is not a kamal-proxy binary/);
    assert.not.ok(existsSync(cachedBinary(s)));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('a ../shared binary that does not match its sha256 is refused', () => {
  const s = scene({ goMode: 'fails', shared: 'tampered' });
  try {
    const r = install(s);
    assert.is(r.code, 1);
    assert.match(r.log, /does not match .*kamal-proxy\.sha256: refusing it/);
    assert.not.ok(existsSync(cachedBinary(s)));
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test('no source at all: the error says to set KAMAL_PROXY_BIN', () => {
  const s = scene({ goMode: 'fails', shared: 'absent' });
  try {
    const r = install(s);
    assert.is(r.code, 1);
    assert.match(r.log, /Set KAMAL_PROXY_BIN/);
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test.run();
