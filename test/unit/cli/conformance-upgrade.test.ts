// Golden dry runs of the Kamal 2.6.0 commands that no recorded slug covers, scored by the shared
// conformance compare.py against expectations built from recorded Kamal commands and Kamal's source:
// - `accessory upgrade NAME` (cli/accessory.rb): confirming → with_lock → per host group
//   with_specific_hosts → `reboot NAME` under the held lock: exactly the recorded `accessory reboot`.
// - `accessory upload NAME` / `accessory directories NAME` (hidden): with_lock around the files
//   (mkdir of the parent, upload, chmod 755) / the directories (mkdir -p) phase of the recorded boot.
// - `proxy upgrade` (hidden, cli/proxy.rb): per group (all hosts, or one with --rolling), on every
//   host: audit "Rebooted proxy", registry login, cleanup_traefik, stop, remove container, remove
//   image; then under specific hosts `proxy boot`, `app boot` (version latest_tag) and `prune all`,
//   each taking the lock itself (on the group's first host): the recorded slugs of those.
// - `upgrade` (cli/main.rb): with_lock once, then the proxy upgrade with the nested locks skipped,
//   then `accessory upgrade all`.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const conformance =
  process.env.SEXTANT_CONFORMANCE_DIR ?? [join(repo, '../shared/conformance'), '/work/shared/conformance'].find((dir) => existsSync(dir)) ?? join(repo, '../shared/conformance');

type Row = [host: string, command: string];

const recorded = (scenario: string, slug: string): Row[] =>
  readFileSync(join(conformance, scenario, 'expected', `${slug}.tsv`), 'utf8')
    .split('\n')
    .filter((line) => line.includes('\t'))
    .map((line) => {
      const tab = line.indexOf('\t');
      return [line.slice(0, tab), line.slice(tab + 1)];
    });

const isPrepare = ([, c]: Row) => c === '/usr/bin/env mkdir -p .kamal';
const isLock = ([, c]: Row) => /^\/usr\/bin\/env mkdir \.kamal\/lock-/.test(c);
const isUnlock = ([, c]: Row) => /^\/usr\/bin\/env rm \.kamal\/lock-/.test(c);
const lockRows = (rows: Row[]) => rows.filter((r) => isPrepare(r) || isLock(r) || isUnlock(r));
const withoutLock = (rows: Row[]) => rows.filter((r) => !isPrepare(r) && !isLock(r) && !isUnlock(r));

// A slug's rows on one host only, as under with_specific_hosts(host): the lock moves to that host.
function onHost(rows: Row[], host: string): Row[] {
  return rows.flatMap(([h, c]): Row[] => (isLock([h, c]) || isUnlock([h, c]) ? [[host, c]] : h === host ? [[h, c]] : []));
}

// Dry-runs `args` in a copy of the scenario and scores it with compare.py against `rows`.
async function score(scenario: string, args: string[], rows: Row[]): Promise<{ head: string; report: string; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'sextant-upgrade-'));
  const dir = join(root, scenario);
  try {
    cpSync(join(conformance, scenario), dir, { recursive: true });
    mkdirSync(join(dir, 'expected'), { recursive: true });
    writeFileSync(join(dir, 'expected', 'golden.tsv'), rows.map(([h, c]) => `${h}\t${c}`).join('\n') + '\n');
    const io = captureIO(dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    const code = await runCli([...args, '--dry-run'], io);
    assert.is(code, 0, `sextant ${args.join(' ')} --dry-run\n${io.stderr}`);
    writeFileSync(join(root, 'out.txt'), io.stdout + io.stderr);
    const report = execFileSync('python3', [join(conformance, 'compare.py'), dir, 'golden', join(root, 'out.txt')], { encoding: 'utf8' });
    return { head: report.split('\n')[0] ?? '', report, output: io.stdout };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function assertKamalExact(scenario: string, args: string[], rows: Row[]): Promise<void> {
  assert.ok(rows.length > 0);
  const { head, report } = await score(scenario, args, rows);
  const total = rows.length;
  assert.ok(head.includes(`matched ${total}/${total}`) && /\| missing 0 \|/.test(head) && /\| extra 0 \|/.test(head) && /\border OK\b/.test(head), `${args.join(' ')}:\n${report}`);
}

const S05 = 's05-accessories';
const S01 = 's01-single-role-proxy';

test('accessory upgrade redis -y (and --rolling, one accessory host) sends the recorded accessory reboot', async () => {
  await assertKamalExact(S05, ['accessory', 'upgrade', 'redis', '-y'], recorded(S05, 'accessory_reboot_redis'));
  await assertKamalExact(S05, ['accessory', 'upgrade', 'redis', '-y', '--rolling'], recorded(S05, 'accessory_reboot_redis'));
});

test('accessory upgrade redis -y -h a host without redis: no host group, so the -h selection stays and nothing but the lock runs', async () => {
  const rows = recorded(S05, 'accessory_reboot_redis').filter((r) => r[0] === '10.0.5.11' && (isPrepare(r) || isLock(r) || isUnlock(r)));
  assert.is(rows.length, 3);
  await assertKamalExact(S05, ['accessory', 'upgrade', 'redis', '-y', '-h', '10.0.5.11'], rows);
  const { output } = await score(S05, ['accessory', 'upgrade', 'redis', '-y', '-h', '10.0.5.11'], rows);
  assert.not.match(output, '10.0.5.20', 'redis host untouched');
});

test('accessory upload db: the files phase of the recorded boot, under the lock', async () => {
  const boot = recorded(S05, 'accessory_boot_db');
  const files = boot.filter(([, c]) => c.includes('docker-entrypoint-initdb.d') && !c.startsWith('docker run'));
  assert.is(files.length, 3, 'mkdir, upload, chmod');
  await assertKamalExact(S05, ['accessory', 'upload', 'db'], [...lockRows(boot).filter((r) => !isUnlock(r)), ...files, ...boot.filter(isUnlock)]);
});

test('accessory directories db: the directories phase of the recorded boot, under the lock', async () => {
  const boot = recorded(S05, 'accessory_boot_db');
  const directories = boot.filter(([, c]) => c === '/usr/bin/env mkdir -p $PWD/cart-db/pgdata');
  assert.is(directories.length, 1);
  await assertKamalExact(S05, ['accessory', 'directories', 'db'], [...lockRows(boot).filter((r) => !isUnlock(r)), ...directories, ...boot.filter(isUnlock)]);
});

// The commands proxy upgrade runs on each host before booting kamal-proxy (cli/proxy.rb, commands/proxy.rb).
function clearOut(host: string): Row[] {
  const login = recorded(S01, 'proxy_boot').find(([h, c]) => h === host && c.startsWith('docker login')) as Row;
  return [
    [host, '/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:15:10Z] [maintainers@users.noreply.r-seed-56b0d1fe.example] Rebooted proxy" >> .kamal/shop-audit.log'],
    login,
    [host, 'docker container stop traefik ; docker container prune --force --filter label=org.opencontainers.image.title=Traefik && docker image prune --all --force --filter label=org.opencontainers.image.title=Traefik'],
    [host, 'docker container stop kamal-proxy'],
    [host, 'docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy'],
    [host, 'docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy'],
  ];
}

const HOSTS = ['10.0.1.11', '10.0.1.12'];
const rebootedSlugs = () => ['proxy_boot', 'app_boot', 'prune_all'].map((slug) => recorded(S01, slug));

test('proxy upgrade -y: Traefik and the old proxy cleared on every host, then the recorded proxy boot, app boot and prune all', async () => {
  await assertKamalExact(S01, ['proxy', 'upgrade', '-y'], [...HOSTS.flatMap(clearOut), ...rebootedSlugs().flat()]);
});

test('proxy upgrade -y --rolling: host by host, each step locking on that host', async () => {
  const rows = HOSTS.flatMap((host) => [...clearOut(host), ...rebootedSlugs().flatMap((slug) => onHost(slug, host))]);
  await assertKamalExact(S01, ['proxy', 'upgrade', '-y', '--rolling'], rows);
});

test('upgrade -y (and --rolling): one lock around the proxy upgrade; no accessory in this app', async () => {
  const slugs = rebootedSlugs();
  const lock = lockRows(slugs[0] as Row[]);
  const rows = [...lock.filter((r) => !isUnlock(r)), ...HOSTS.flatMap(clearOut), ...slugs.flatMap(withoutLock), ...lock.filter(isUnlock)];
  await assertKamalExact(S01, ['upgrade', '-y'], rows);
  // compare.py scores the order per host, which host-by-host leaves unchanged.
  await assertKamalExact(S01, ['upgrade', '-y', '--rolling'], rows);
});

test('the golden check fails on a missing command', async () => {
  const rows: Row[] = [...recorded(S05, 'accessory_reboot_redis'), ['10.0.5.20', 'docker container stop cart-redis-extra']];
  const { head } = await score(S05, ['accessory', 'upgrade', 'redis', '-y'], rows);
  assert.match(head, /\| missing 1 \|/);
});

test('upgrades ask first; without a terminal and without -y they refuse and change nothing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sextant-upgrade-'));
  try {
    cpSync(join(conformance, S01), root, { recursive: true });
    for (const args of [['upgrade'], ['proxy', 'upgrade'], ['accessory', 'upgrade', 'all']]) {
      const io = captureIO(root, { PATH: process.env.PATH, VERSION: 'abc1234' });
      assert.is(await runCli(args, io), 1, args.join(' '));
      assert.match(io.stderr, /Refusing to continue without an answer: stdin is not a terminal\. Pass -y/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
