// Fault controls for tests: each one has taken effect when it returns, and each has an inverse.
// A server is named by its name ("srv2"), its address ("10.213.0.12") or a TestbedServer.
// `ensureTestbed()` undoes every fault a dead test left behind.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { BRIDGE_IP, DELAY_PROXY_PORT, nodePaths, REGISTRY_PORT, RULE_COMMENT, serverSpec, UNHEALTHY_FILE } from './layout.ts';
import type { NodePaths, NodeSpec } from './layout.ts';
import { readState } from './state.ts';
import { output, run, TestbedError, waitFor } from './exec.ts';
import { alive, inNodeNet, processState, readPid, spawnDaemon } from './namespaces.ts';
import { delayProxyPids, readBanner, startSshd as launchSshd } from './node.ts';
import { removeRulesWithComment, setVethUp } from './network.ts';

export type ServerRef = string | { name: string };

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function resolveServer(server: ServerRef): { s: NodeSpec; p: NodePaths } {
  const key = typeof server === 'string' ? server : server.name;
  const state = readState();
  if (!state) throw new TestbedError('the testbed is not up: run `npm run testbed -- up`');
  for (const i of state.servers) {
    const s = serverSpec(i);
    if (s.name === key || s.ip === key) return { s, p: nodePaths(s.name) };
  }
  const known = state.servers.map((i) => serverSpec(i).name).join(', ');
  throw new TestbedError(`no testbed server "${key}" (servers: ${known || 'none'})`);
}

function iptables(p: NodePaths, table: 'filter' | 'nat' = 'filter'): string[] {
  return [...inNodeNet(p), 'iptables', '-w', '-t', table];
}

const tagged = ['-m', 'comment', '--comment', RULE_COMMENT];

// --- sshd ------------------------------------------------------------------------------------------

/** Stops the server's sshd listener: new connections are refused, open sessions live on (like `systemctl stop ssh`). */
export async function stopSshd(server: ServerRef): Promise<void> {
  const { s, p } = resolveServer(server);
  const pid = readPid(p.sshdPidFile);
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGTERM');
  await waitFor(`sshd on ${s.name} to stop`, 5000, async () => !alive(pid) && (await readBanner(s.ip, 22, 300)) === undefined);
}

/** Starts the server's sshd again; a no-op when it is running. */
export async function startSshd(server: ServerRef): Promise<void> {
  const { s, p } = resolveServer(server);
  if (alive(readPid(p.sshdPidFile))) return;
  await launchSshd(s, p);
}

// --- link ------------------------------------------------------------------------------------------

/** Takes the server's link down: everything to and from it is silently lost (open TCP connections stall). */
export async function cutLink(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await setVethUp(p, false);
}

export async function restoreLink(server: ServerRef): Promise<void> {
  const { s, p } = resolveServer(server);
  await setVethUp(p, true);
  await waitFor(`${s.name}'s link to come up`, 5000, async () => / state UP /.test(await output(['ip', '-o', 'link', 'show', 'dev', p.veth])));
}

// --- SSH packet filters (iptables inside the server) -----------------------------------------------

/** Drops every packet to the server's port 22: new connections hang, open sessions stall. */
export async function dropSsh(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await clearSshFiltersOn(p);
  await run([...iptables(p), '-I', 'INPUT', '-p', 'tcp', '--dport', '22', ...tagged, '-j', 'DROP']);
}

/** Answers every packet to the server's port 22 with a TCP reset: connects are refused, open sessions die. */
export async function resetSsh(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await clearSshFiltersOn(p);
  await run([...iptables(p), '-I', 'INPUT', '-p', 'tcp', '--dport', '22', ...tagged, '-j', 'REJECT', '--reject-with', 'tcp-reset']);
}

/** Removes the drop/reset filters on SSH (not the latency redirect, not the registry block). */
export async function clearSshFilters(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await clearSshFiltersOn(p);
}

async function clearSshFiltersOn(p: NodePaths): Promise<void> {
  await removeRulesWithComment(iptables(p, 'filter'), 'INPUT');
}

// --- the registry, as one server sees it ------------------------------------------------------------

/**
 * The registry goes away for this server: its connections to the registry are answered with a TCP
 * reset, so a `docker pull` or `docker login` there fails with "connection refused" (what a stopped
 * registry gives). The registry itself, the other servers and the deployer are not affected.
 */
export async function blockRegistry(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await unblockRegistryOn(p);
  await run([...iptables(p), '-I', 'OUTPUT', '-p', 'tcp', '-d', BRIDGE_IP, '--dport', String(REGISTRY_PORT), ...tagged, '-j', 'REJECT', '--reject-with', 'tcp-reset']);
}

export async function unblockRegistry(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await unblockRegistryOn(p);
}

async function unblockRegistryOn(p: NodePaths): Promise<void> {
  await removeRulesWithComment(iptables(p, 'filter'), 'OUTPUT');
}

// --- SSH latency (userspace delay proxy + iptables REDIRECT) ------------------------------------------

/**
 * Delays SSH traffic to the server by `ms` in each direction (a round trip grows by 2·ms) for
 * connections opened from now on; open connections are not affected.
 */
export async function addSshLatency(server: ServerRef, ms: number): Promise<void> {
  if (!Number.isFinite(ms) || ms < 0) throw new TestbedError(`latency must be a non-negative number of ms, got ${ms}`);
  const { s, p } = resolveServer(server);
  await removeSshLatencyOn(p);
  rmSync(p.delayProxyPidFile, { force: true });
  const script = join(repoRoot, 'test', 'testbed', 'delay-proxy.ts');
  spawnDaemon(p, [process.execPath, '--import', 'tsx', script, String(DELAY_PROXY_PORT), '22', String(ms), p.delayProxyPidFile], p.delayProxyLog, {
    fullNode: false,
    cwd: repoRoot,
  });
  await waitFor(`the delay proxy on ${s.name}`, 15_000, () => existsSync(p.delayProxyPidFile));
  await run([...iptables(p, 'nat'), '-I', 'PREROUTING', '-p', 'tcp', '--dport', '22', ...tagged, '-j', 'REDIRECT', '--to-ports', String(DELAY_PROXY_PORT)]);
}

/** Removes the delay for new connections; connections already delayed keep their delay-free remainder. */
export async function removeSshLatency(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await removeSshLatencyOn(p);
}

async function removeSshLatencyOn(p: NodePaths): Promise<void> {
  await removeRulesWithComment(iptables(p, 'nat'));
  for (const pid of delayProxyPids(p)) process.kill(pid, 'SIGTERM');
}

// --- dockerd ---------------------------------------------------------------------------------------

/** SIGSTOPs the server's dockerd: docker commands hang; containers and containerd keep running. */
export async function freezeDocker(server: ServerRef): Promise<void> {
  const { s, p } = resolveServer(server);
  const pid = dockerdPid(s, p);
  process.kill(pid, 'SIGSTOP');
  await waitFor(`dockerd on ${s.name} to stop`, 5000, () => processState(pid) === 'T');
}

export async function thawDocker(server: ServerRef): Promise<void> {
  const { s, p } = resolveServer(server);
  const pid = dockerdPid(s, p);
  process.kill(pid, 'SIGCONT');
  await waitFor(`dockerd on ${s.name} to continue`, 5000, () => processState(pid) !== 'T');
}

function dockerdPid(s: NodeSpec, p: NodePaths): number {
  const pid = readPid(p.dockerPidFile);
  if (pid === undefined || !alive(pid)) throw new TestbedError(`dockerd is not running on ${s.name}`);
  return pid;
}

// --- app health check ------------------------------------------------------------------------------

/**
 * Makes apps on this server that honour the fault switch fail their health check: creates
 * `/srv/faults/unhealthy` on the server (the example app mounts /srv/faults and answers /up with 500
 * while that file exists).
 */
export async function failHealthcheck(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  mkdirSync(p.faults, { recursive: true });
  writeFileSync(join(p.faults, UNHEALTHY_FILE), 'set by the Sextant testbed\n');
}

export async function restoreHealthcheck(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  rmSync(join(p.faults, UNHEALTHY_FILE), { force: true });
}

/** Undoes every fault on the server. */
export async function clearAll(server: ServerRef): Promise<void> {
  const { p } = resolveServer(server);
  await restoreLink(server);
  await clearSshFiltersOn(p);
  await unblockRegistryOn(p);
  await removeSshLatencyOn(p);
  const pid = readPid(p.dockerPidFile);
  if (pid !== undefined && processState(pid) === 'T') await thawDocker(server);
  await startSshd(server);
  await restoreHealthcheck(server);
}
