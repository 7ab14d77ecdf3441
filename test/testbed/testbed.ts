// Bringing the whole testbed up, reporting on it, and taking it down without leaving anything.
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BASE_IMAGE, BRIDGE, BRIDGE_IP, CGROUP_ROOT, CUSTOM_PROXY_IMAGE, DEPLOYER, FAULTS_DIR_IN_SERVER, nodePaths, paths, PROXY_IMAGE,
  REGISTRY_BASE_IMAGE, REGISTRY_HOST, REGISTRY_USER, serverIndex, serverSpec, STATE_DIR, SUBNET, TEMPLATE,
} from './layout.ts';
import type { NodeSpec } from './layout.ts';
import { run, succeeds, TestbedError } from './exec.ts';
import { childCgroups, cgroupExists, memoryBytes, pidsIn, removeCgroup, rssBytes } from './cgroups.ts';
import { checkSubnetFree, ensureBridge, ensureForwardDrop, linkExists, removeBridge, removeRootRules, testbedVeths } from './network.ts';
import { ensureNsDir, mountedNsFiles, releaseNsDir } from './namespaces.ts';
import { ensureCa, ensureRegistryPassword, ensureSshKey, registryPassword } from './credentials.ts';
import { ensureRegistry, probeRegistry, registryRunning, stopRegistry } from './registry.ts';
import { createNode, destroyNode, nodeHealth, repairNode } from './node.ts';
import type { NodeHealth } from './node.ts';
import { cachedServerSeed, ensureDeployerImages, ensureRegistryImages, ensureServerSeed, imagePresent, loadImage, proxyImageTar } from './images.ts';
import { clearState, readState, withLock, writeState } from './state.ts';

export interface TestbedServer {
  name: string;
  ip: string;
  sshPort: 22;
  sshUser: 'root';
  /** The server's docker socket as seen from the root namespace (for inspection; Kamal uses SSH). */
  dockerSocket: string;
  /** Host directory inside the server that apps may mount to read fault switches. */
  faultsDir: string;
}

export interface TestbedInfo {
  servers: TestbedServer[];
  /** Private key that logs in as root on every server. */
  sshKeyPath: string;
  registry: {
    /** host:port, e.g. 10.213.0.1:5443 */
    host: string;
    username: string;
    password: string;
    /** File holding the password (for `.kamal/secrets`). */
    passwordPath: string;
    /** CA that signed the registry's certificate. */
    caPath: string;
  };
  /** The deployer's docker daemon: builds and pushes run against it. */
  deployer: { ip: string; dockerHost: string; dockerSocket: string };
  /** Default kamal-proxy image, loaded into every server. */
  proxyImage: string;
  /** The same kamal-proxy image in the test registry. */
  customProxyImage: string;
  /** Local base image for app Dockerfiles (in the deployer's daemon), and its copy in the registry. */
  baseImage: string;
  registryBaseImage: string;
  subnet: string;
  bridgeIp: string;
  stateDir: string;
}

export interface UpOptions {
  /** Servers srv1..srvN (default 3); servers beyond N are removed. */
  servers?: number;
  /** Re-create the servers from nothing even if they are healthy. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface UpTimings {
  totalMs: number;
  phases: Record<string, number>;
}

function info(serverIndices: number[]): TestbedInfo {
  const deployer = nodePaths(DEPLOYER.name);
  return {
    servers: serverIndices.map((i) => {
      const spec = serverSpec(i);
      return { name: spec.name, ip: spec.ip, sshPort: 22, sshUser: 'root', dockerSocket: nodePaths(spec.name).dockerSocket, faultsDir: FAULTS_DIR_IN_SERVER };
    }),
    sshKeyPath: paths.sshKey,
    registry: { host: REGISTRY_HOST, username: REGISTRY_USER, password: registryPassword(), passwordPath: paths.registryPassword, caPath: paths.caCert },
    deployer: { ip: DEPLOYER.ip, dockerHost: `unix://${deployer.dockerSocket}`, dockerSocket: deployer.dockerSocket },
    proxyImage: PROXY_IMAGE,
    customProxyImage: CUSTOM_PROXY_IMAGE,
    baseImage: BASE_IMAGE,
    registryBaseImage: REGISTRY_BASE_IMAGE,
    subnet: SUBNET,
    bridgeIp: BRIDGE_IP,
    stateDir: STATE_DIR,
  };
}

/** What the testbed needs on this machine and does not find. */
async function missingPieces(): Promise<string[]> {
  const missing: string[] = [];
  const pathDirs = (process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  for (const cmd of ['dockerd', 'docker', 'docker-registry', 'containerd', 'runc', 'iptables', 'htpasswd', 'openssl', 'nsenter', 'unshare', 'ssh-keygen', 'ip', 'tar', 'cp']) {
    if (!pathDirs.some((d) => d && existsSync(`${d}/${cmd}`))) missing.push(cmd);
  }
  for (const file of ['/usr/sbin/sshd', '/bin/busybox', paths.kamalProxyBinary]) if (!existsSync(file)) missing.push(file);
  if (missing.length === 0 && !(await succeeds(['docker', 'buildx', 'version']))) missing.push('docker buildx');
  return missing;
}

const installScript = join(dirname(fileURLToPath(import.meta.url)), 'install.sh');

/** Checks the machine; on a fresh one, runs install.sh first (Debian packages, kamal-proxy, buildx). */
async function preflight(log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new TestbedError('the testbed needs root (namespaces, veths, cgroups, iptables)');
  const missing = await missingPieces();
  if (missing.length === 0) return;
  log(`missing ${missing.join(', ')}: running bash ${installScript} (minutes on a fresh machine)`);
  const install = await run(['bash', installScript], { allowFailure: true, timeoutMs: 30 * 60_000 });
  const still = await missingPieces();
  if (install.code !== 0 || still.length > 0) {
    const tailOf = (text: string) => text.trim().split('\n').slice(-15).join('\n');
    throw new TestbedError(`the testbed cannot start: ${still.length ? `missing ${still.join(', ')}` : 'install failed'} after bash ${installScript} (exit ${install.code}):\n${tailOf(install.stderr || install.stdout)}`);
  }
}

async function timed<T>(phases: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    phases[name] = Math.round(performance.now() - start);
  }
}

async function ensureServer(spec: NodeSpec, fresh: boolean, seed: string): Promise<void> {
  if (fresh) await createNode(spec, seed);
  else await repairNode(spec, seed);
  const socket = nodePaths(spec.name).dockerSocket;
  // `kamal proxy remove` prunes the proxy image; put it back so the default proxy boot works offline.
  if (!(await imagePresent(PROXY_IMAGE, socket))) await loadImage(proxyImageTar(), socket);
}

/** Points /run/docker.sock at the deployer's daemon when nothing else claims it. */
function linkRootDockerSocket(): boolean {
  const target = nodePaths(DEPLOYER.name).dockerSocket;
  try {
    const st = lstatSync(paths.rootDockerSocket);
    return st.isSymbolicLink() && readlinkSync(paths.rootDockerSocket) === target;
  } catch {
    symlinkSync(target, paths.rootDockerSocket);
    return true;
  }
}

function unlinkRootDockerSocket(): void {
  try {
    if (lstatSync(paths.rootDockerSocket).isSymbolicLink() && readlinkSync(paths.rootDockerSocket) === nodePaths(DEPLOYER.name).dockerSocket) {
      rmSync(paths.rootDockerSocket);
    }
  } catch {
    // not there
  }
}

async function up(options: UpOptions): Promise<{ info: TestbedInfo; timings: UpTimings }> {
  const count = options.servers ?? 3;
  const log = options.log ?? (() => undefined);
  const phases: Record<string, number> = {};
  const start = performance.now();
  await timed(phases, 'preflight', () => preflight(log));
  const previous = readState();
  await timed(phases, 'network', async () => {
    if (!(await linkExists(BRIDGE))) await checkSubnetFree();
    mkdirSync(STATE_DIR, { recursive: true, mode: 0o755 });
    await ensureNsDir();
    await ensureBridge();
    await ensureForwardDrop();
  });
  await timed(phases, 'credentials', async () => {
    await ensureCa();
    await ensureRegistryPassword();
    await ensureSshKey();
  });
  // Registry, deployer and servers come up side by side; only a cold start (no cached images) makes
  // the servers wait for the deployer, which makes the images.
  const deployerSocket = nodePaths(DEPLOYER.name).dockerSocket;
  log('registry, deployer and servers');
  const registry = timed(phases, 'registry', ensureRegistry);
  const deployer = timed(phases, 'deployer', async () => {
    const h = await nodeHealth(DEPLOYER);
    if (!(h.namespaces && h.link === 'up' && h.dockerd === 'running')) await createNode(DEPLOYER);
    await ensureDeployerImages(deployerSocket);
  });
  const pushed = timed(phases, 'registry images', async () => {
    await Promise.all([registry, deployer]);
    await ensureRegistryImages(deployerSocket);
  });
  const known = new Set(previous?.servers ?? []);
  const wanted = Array.from({ length: count }, (_, i) => i + 1);
  const servers = timed(phases, 'servers', async () => {
    let seed = cachedServerSeed();
    if (!seed) {
      await deployer;
      log('server seed (kamal-proxy image)');
      seed = await ensureServerSeed();
    }
    const ready = seed;
    log(`servers ${wanted.map((i) => serverSpec(i).name).join(', ')}`);
    await Promise.all(wanted.map((i) => ensureServer(serverSpec(i), options.fresh === true || !known.has(i), ready)));
  });
  // Wait for every branch, so that nothing still runs when the lock is released, then report the first failure.
  const failure = (await Promise.allSettled([registry, deployer, pushed, servers])).find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  const extra = [...known].filter((i) => i > count);
  if (extra.length) {
    log(`removing ${extra.map((i) => serverSpec(i).name).join(', ')}`);
    await timed(phases, 'remove extra servers', () => Promise.all(extra.map((i) => destroyNode(serverSpec(i).name))));
  }
  const linked = linkRootDockerSocket();
  writeState({ version: 1, servers: wanted, linkedRootDockerSocket: linked, upSince: previous?.upSince ?? new Date().toISOString() });
  return { info: info(wanted), timings: { totalMs: Math.round(performance.now() - start), phases } };
}

/**
 * Brings the testbed up if needed and returns how to reach it. Idempotent: running servers are kept
 * (with their containers) but every fault left on them is undone. Throws with the reason when the
 * testbed cannot come up.
 */
export async function ensureTestbed(options: UpOptions = {}): Promise<TestbedInfo> {
  return (await upWithTimings(options)).info;
}

export async function upWithTimings(options: UpOptions = {}): Promise<{ info: TestbedInfo; timings: UpTimings }> {
  return withLock(() => up(options));
}

/** The current testbed as recorded by the last `up`; throws when it is not up. */
export function currentTestbed(): TestbedInfo {
  const state = readState();
  if (!state) throw new TestbedError('the testbed is not up: run `npm run testbed -- up`');
  return info(state.servers);
}

export interface NodeStatus extends NodeHealth {
  memoryBytes: number | undefined;
  rssBytes: number;
  processes: number;
}

export interface TestbedStatus {
  up: boolean;
  bridge: boolean;
  registry: 'running' | 'down';
  deployer: NodeStatus | undefined;
  servers: NodeStatus[];
}

async function nodeStatus(spec: NodeSpec): Promise<NodeStatus> {
  const h = await nodeHealth(spec);
  const cg = nodePaths(spec.name).cgroup;
  return { ...h, memoryBytes: memoryBytes(cg), rssBytes: rssBytes(cg), processes: cgroupExists(cg) ? pidsIn(cg).length : 0 };
}

export async function testbedStatus(): Promise<TestbedStatus> {
  const state = readState();
  const bridge = await linkExists(BRIDGE);
  const registry = registryRunning() && (await probeRegistry()) === 401 ? 'running' : 'down';
  const deployer = existsSync(nodePaths(DEPLOYER.name).dir) ? await nodeStatus(DEPLOYER) : undefined;
  const servers = await Promise.all((state?.servers ?? []).map((i) => nodeStatus(serverSpec(i))));
  const up = state !== undefined && bridge && registry === 'running' && deployer !== undefined && deployer.dockerd === 'running' && servers.every((s) => s.namespaces && s.dockerd !== 'down');
  return { up, bridge, registry, deployer, servers };
}

/** Every node name the machine shows traces of, whatever the state file says. */
async function leftoverNodes(): Promise<string[]> {
  const names = new Set<string>();
  for (const i of readState()?.servers ?? []) names.add(serverSpec(i).name);
  for (const c of childCgroups(CGROUP_ROOT)) if (c !== 'registry') names.add(c);
  for (const f of mountedNsFiles()) names.add(f.slice(paths.nsDir.length + 1).replace(/\.(net|mnt|uts)$/, ''));
  if (existsSync(paths.nodesDir)) for (const d of readdirSync(paths.nodesDir)) names.add(d);
  for (const v of await testbedVeths()) names.add(v.slice('sxtb-'.length));
  return [...names].filter((n) => n === DEPLOYER.name || n === TEMPLATE.name || serverIndex(n) !== undefined);
}

async function down(options: { purge?: boolean }): Promise<void> {
  const names = await leftoverNodes();
  const errors: string[] = [];
  await Promise.all(
    names.map((n) =>
      destroyNode(n).catch((err: Error) => {
        errors.push(`${n}: ${err.message}`);
      }),
    ),
  );
  for (const v of await testbedVeths()) await run(['ip', 'link', 'del', v], { allowFailure: true });
  await stopRegistry();
  await removeRootRules();
  await removeBridge();
  unlinkRootDockerSocket();
  for (const f of mountedNsFiles()) await run(['umount', f], { allowFailure: true });
  await releaseNsDir();
  if (cgroupExists(CGROUP_ROOT)) removeCgroup(CGROUP_ROOT);
  rmSync(paths.nodesDir, { recursive: true, force: true });
  rmSync(paths.nsDir, { recursive: true, force: true });
  clearState();
  if (options.purge) rmSync(STATE_DIR, { recursive: true, force: true });
  if (errors.length) throw new TestbedError(`testbed down left errors:\n${errors.join('\n')}`);
}

/** Takes the testbed down: no process, namespace, mount, veth, cgroup or iptables rule remains. */
export async function teardown(options: { purge?: boolean } = {}): Promise<void> {
  if (!existsSync(STATE_DIR)) {
    await down(options);
    return;
  }
  await withLock(() => down(options));
}
