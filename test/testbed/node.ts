// One testbed node: a server (sshd + dockerd) or the deployer (dockerd only, for builds and pushes).
// Created from nothing every time; `nodeHealth` and `repairNode` keep a running one usable.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BRIDGE_IP, nodePaths, paths, REGISTRY_HOST, RULE_COMMENT, UNHEALTHY_FILE } from './layout.ts';
import type { NodePaths, NodeSpec } from './layout.ts';
import { output, run, TestbedError, waitFor } from './exec.ts';
import { alive, createNamespaces, destroyNamespaces, inNodeNet, nsFilesMounted, processState, readPid, spawnDaemon } from './namespaces.ts';
import { cgroupExists, createCgroup, killCgroup, pidsIn, removeCgroup } from './cgroups.ts';
import { createVeth, deleteVeth, linkExists, removeRulesWithComment } from './network.ts';
import { sshPublicKey } from './credentials.ts';

function sshdConfig(p: NodePaths): string {
  return [
    'Port 22',
    'ListenAddress 0.0.0.0',
    `HostKey ${p.hostKey}`,
    'PidFile /run/sshd.pid',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    // The defaults (10 sessions, 10:30:100 startups) throttle parallel deploys.
    'MaxSessions 200',
    'MaxStartups 200:30:400',
    'LoginGraceTime 30',
    'Subsystem sftp internal-sftp',
    'AcceptEnv LANG LC_*',
    '',
  ].join('\n');
}

function daemonJson(spec: NodeSpec, p: NodePaths): string {
  return `${JSON.stringify(
    {
      'data-root': p.dockerData,
      'cgroup-parent': `/${p.cgroup}`,
      'storage-driver': 'overlay2',
      hosts: ['unix:///run/docker.sock'],
      pidfile: '/run/docker.pid',
      'log-level': 'warn',
      // The deployer only builds and pushes: it needs no NAT rules, and skipping them saves a
      // quarter of its start-up time.
      ...(spec.kind === 'server' ? {} : { iptables: false, 'ip-forward': false, 'ip-masq': false }),
      ...(spec.kind === 'deployer' ? { features: { buildkit: true } } : {}),
    },
    null,
    2,
  )}\n`;
}

async function prepareFiles(spec: NodeSpec, p: NodePaths, seed: string | undefined): Promise<void> {
  rmSync(p.dir, { recursive: true, force: true });
  mkdirSync(p.dir, { recursive: true });
  if (seed) await copySeed(seed, p.dockerData);
  for (const d of [p.run, join(p.run, 'sshd'), p.etcDocker, p.dockerData, p.faults, p.tmp]) mkdirSync(d, { recursive: true });
  mkdirSync(p.root, { recursive: true, mode: 0o700 });
  chmodSync(p.root, 0o700);
  chmodSync(p.tmp, 0o1777);
  chmodSync(p.dockerData, 0o710);
  writeFileSync(p.hostname, `${spec.name}\n`);
  writeFileSync(p.hosts, `127.0.0.1\tlocalhost\n${spec.ip}\t${spec.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  // No resolver answers on the bridge: lookups of outside names fail fast and never leave the machine.
  writeFileSync(p.resolvConf, `nameserver ${BRIDGE_IP}\noptions timeout:1 attempts:1\n`);
  writeFileSync(join(p.etcDocker, 'daemon.json'), daemonJson(spec, p));
  const certsDir = join(p.etcDocker, 'certs.d', REGISTRY_HOST);
  mkdirSync(certsDir, { recursive: true });
  copyFileSync(paths.caCert, join(certsDir, 'ca.crt'));
  if (spec.kind === 'server') {
    mkdirSync(join(p.root, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(p.root, '.ssh', 'authorized_keys'), sshPublicKey(), { mode: 0o600 });
    writeFileSync(p.sshdConfig, sshdConfig(p));
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${spec.name}`, '-f', p.hostKey]);
  }
}

/**
 * Copies a docker data root. Image layer contents (overlay2/<id>/diff) are never written in place
 * once extracted, so they are hard-linked; every other file (bolt databases, JSON state) is copied.
 */
async function copySeed(seed: string, dest: string): Promise<void> {
  const linked = await run(['cp', '-al', seed, dest], { allowFailure: true });
  if (linked.code !== 0) {
    rmSync(dest, { recursive: true, force: true });
    await run(['cp', '-a', seed, dest]);
    return;
  }
  const unshare = 'for f; do cp -p "$f" "$f.copy" && mv "$f.copy" "$f"; done';
  await run(['find', dest, '-type', 'f', '!', '-path', `${dest}/overlay2/*/diff/*`, '-exec', 'sh', '-c', unshare, 'sh', '{}', '+']);
}

/** GET /_ping on the node's docker socket. */
export function pingDocker(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Connects to ip:port and resolves with the first line the server sends ("SSH-2.0-…"), or undefined. */
export function readBanner(ip: string, port = 22, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: timeoutMs });
    let data = '';
    const done = (value: string | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\n')) done(data.split('\n')[0]?.trim());
    });
    socket.on('timeout', () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(data ? data.trim() : undefined));
  });
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export async function startDockerd(p: NodePaths): Promise<void> {
  const pid = spawnDaemon(p, ['dockerd', '--config-file', '/etc/docker/daemon.json'], p.dockerdLog);
  try {
    await waitFor(`dockerd in ${p.dir}`, 30_000, async () => {
      if (!alive(pid)) throw new TestbedError(`dockerd in ${p.dir} exited during start-up`);
      return pingDocker(p.dockerSocket, 500);
    });
  } catch (err) {
    throw new TestbedError(`${(err as Error).message}\ndockerd log:\n${tail(p.dockerdLog)}`);
  }
}

/** Stops dockerd cleanly (SIGTERM) and waits until it and its containerd have exited. */
export async function stopDockerd(p: NodePaths): Promise<void> {
  const pid = readPid(p.dockerPidFile);
  if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGTERM');
  const containerdLeft = () => pidsIn(p.cgroup).some((x) => commOf(x).startsWith('containerd'));
  await waitFor(`dockerd in ${p.dir} to exit`, 20_000, () => !alive(pid) && !containerdLeft(), 50);
}

export async function startSshd(spec: NodeSpec, p: NodePaths): Promise<void> {
  const pid = spawnDaemon(p, ['/usr/sbin/sshd', '-D', '-f', p.sshdConfig, '-E', p.sshdLog], p.sshdLog);
  try {
    await waitFor(`sshd on ${spec.ip}:22`, 10_000, async () => {
      if (!alive(pid)) throw new TestbedError(`sshd on ${spec.name} exited during start-up`);
      return (await readBanner(spec.ip, 22, 500))?.startsWith('SSH-2.0') ?? false;
    }, 20);
  } catch (err) {
    throw new TestbedError(`${(err as Error).message}\nsshd log:\n${tail(p.sshdLog)}`);
  }
}

/**
 * Builds the node from nothing: files, namespaces, veth, cgroup, daemons. `seed` is a docker data
 * root to start from (a copy of it becomes the node's own).
 */
export async function createNode(spec: NodeSpec, seed?: string): Promise<void> {
  const p = nodePaths(spec.name);
  await destroyNode(spec.name);
  await prepareFiles(spec, p, seed);
  await createNamespaces(spec, p);
  await createVeth(spec, p);
  createCgroup(p.daemonCgroup);
  const starts = [startDockerd(p)];
  if (spec.kind === 'server') starts.push(startSshd(spec, p));
  await Promise.all(starts);
}

/** Kills everything in the node's cgroup and removes its namespaces, veth and files. */
export async function destroyNode(name: string, options: { keepFiles?: boolean } = {}): Promise<void> {
  const p = nodePaths(name);
  if (cgroupExists(p.cgroup)) {
    await killCgroup(p.cgroup);
    removeCgroup(p.cgroup);
  }
  await deleteVeth(p);
  await destroyNamespaces(p);
  if (!options.keepFiles) rmSync(p.dir, { recursive: true, force: true });
  for (const f of [p.netns, p.mntns, p.utsns]) rmSync(f, { force: true });
}

/** Delay proxies (SSH latency fault) running in the node, draining ones included. */
export function delayProxyPids(p: NodePaths): number[] {
  if (!cgroupExists(p.cgroup)) return [];
  return pidsIn(p.cgroup).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('delay-proxy.ts');
    } catch {
      return false;
    }
  });
}

export interface NodeHealth {
  name: string;
  ip: string;
  namespaces: boolean;
  link: 'up' | 'down' | 'missing';
  dockerd: 'running' | 'frozen' | 'down';
  sshd: 'running' | 'down' | 'n/a';
  /** Testbed-made iptables rules inside the node (fault filters, latency redirect). */
  faultRules: number;
  delayProxy: boolean;
  unhealthyApp: boolean;
}

export async function nodeHealth(spec: NodeSpec): Promise<NodeHealth> {
  const p = nodePaths(spec.name);
  const namespaces = existsSync(p.netns) && nsFilesMounted(p);
  let link: NodeHealth['link'] = 'missing';
  if (await linkExists(p.veth)) {
    const info = await output(['ip', '-o', 'link', 'show', 'dev', p.veth]);
    link = /[<,]UP[,>]/.test(info) ? 'up' : 'down';
  }
  const dockerPid = readPid(p.dockerPidFile);
  let dockerd: NodeHealth['dockerd'] = 'down';
  if (alive(dockerPid) && dockerPid !== undefined) {
    const state = processState(dockerPid);
    dockerd = state === 'T' ? 'frozen' : (await pingDocker(p.dockerSocket)) ? 'running' : 'down';
  }
  let sshd: NodeHealth['sshd'] = 'n/a';
  if (spec.kind === 'server') sshd = alive(readPid(p.sshdPidFile)) ? 'running' : 'down';
  let faultRules = 0;
  if (namespaces) {
    for (const table of ['filter', 'nat']) {
      const listing = await run([...inNodeNet(p), 'iptables', '-w', '-t', table, '-S'], { allowFailure: true });
      faultRules += listing.stdout.split('\n').filter((l) => l.includes(`--comment ${RULE_COMMENT}`)).length;
    }
  }
  return {
    name: spec.name,
    ip: spec.ip,
    namespaces,
    link,
    dockerd,
    sshd,
    faultRules,
    delayProxy: delayProxyPids(p).length > 0,
    unhealthyApp: existsSync(join(p.faults, UNHEALTHY_FILE)),
  };
}

/** Undoes every fault on a node whose namespaces still exist; recreates it when it is beyond that. */
export async function repairNode(spec: NodeSpec, seed?: string): Promise<void> {
  const p = nodePaths(spec.name);
  const h = await nodeHealth(spec);
  if (!h.namespaces || h.link === 'missing' || !existsSync(p.dockerData)) {
    await createNode(spec, seed);
    return;
  }
  if (h.link === 'down') await run(['ip', 'link', 'set', p.veth, 'up']);
  const dockerPid = readPid(p.dockerPidFile);
  if (h.dockerd === 'frozen' && dockerPid !== undefined) process.kill(dockerPid, 'SIGCONT');
  for (const table of ['filter', 'nat']) await removeRulesWithComment([...inNodeNet(p), 'iptables', '-w', '-t', table]);
  for (const pid of delayProxyPids(p)) process.kill(pid, 'SIGKILL');
  rmSync(p.delayProxyPidFile, { force: true });
  rmSync(join(p.faults, UNHEALTHY_FILE), { force: true });
  if (!(await pingDocker(p.dockerSocket, 2000))) {
    await createNode(spec, seed);
    return;
  }
  if (spec.kind === 'server' && h.sshd === 'down') await startSshd(spec, p);
}
