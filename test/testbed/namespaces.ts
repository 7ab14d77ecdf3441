// A node is three persistent namespaces (network, mount, UTS) bound to files under
// <state>/ns/, plus a cgroup. Its mount namespace has its own /sys (for its netns), the cgroup
// hierarchies mounted again (an unshared mount namespace would otherwise see none), and its own
// /run, /root, /etc/docker, /etc/hosts, /etc/hostname, /etc/resolv.conf, /srv and /tmp.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { paths } from './layout.ts';
import type { NodePaths, NodeSpec } from './layout.ts';
import { run, shq, succeeds, TestbedError } from './exec.ts';
import { joinCgroupScript, remountCgroupsScript } from './cgroups.ts';

function isMountPoint(path: string): boolean {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((line) => line.split(' ')[4] === path);
}

/** Namespace files can only be bind-mounted onto a mount with private propagation. */
export async function ensureNsDir(): Promise<void> {
  await run(['mkdir', '-p', paths.nsDir]);
  if (!isMountPoint(paths.nsDir)) {
    await run(['mount', '--bind', paths.nsDir, paths.nsDir]);
    await run(['mount', '--make-private', paths.nsDir]);
  }
}

export async function releaseNsDir(): Promise<void> {
  if (isMountPoint(paths.nsDir)) await run(['umount', paths.nsDir]);
}

export function nsFilesMounted(p: NodePaths): boolean {
  return isMountPoint(p.netns) && isMountPoint(p.mntns) && isMountPoint(p.utsns);
}

/** Mount points under the namespace directory (namespace files of any node). */
export function mountedNsFiles(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(`${paths.nsDir}/`));
}

function setupScript(spec: NodeSpec, p: NodePaths): string {
  const bind = (from: string, to: string) => `mount --bind ${shq(from)} ${shq(to)}`;
  return [
    'set -e',
    // The new mount namespace starts as a copy of the root one, including the bind mounts of other
    // nodes' namespace files: drop those copies so no namespace keeps another alive.
    `umount -R -l ${shq(paths.nsDir)} 2>/dev/null || true`,
    'if mountpoint -q /run/netns; then umount -R -l /run/netns; fi',
    'mount -t sysfs sysfs /sys',
    remountCgroupsScript(),
    'mkdir -p /etc/docker',
    bind(p.etcDocker, '/etc/docker'),
    bind(p.hosts, '/etc/hosts'),
    bind(p.hostname, '/etc/hostname'),
    // /etc/resolv.conf may be a symlink into /run; bind onto it only while that resolves.
    `if [ -e /etc/resolv.conf ]; then ${bind(p.resolvConf, '/etc/resolv.conf')}; fi`,
    bind(p.run, '/run'),
    bind(p.root, '/root'),
    bind(p.srv, '/srv'),
    bind(p.tmp, '/tmp'),
    `hostname ${shq(spec.name)}`,
  ].join('\n');
}

/** Creates the node's namespaces and its mount setup. The namespace files must not be mounted yet. */
export async function createNamespaces(spec: NodeSpec, p: NodePaths): Promise<void> {
  for (const f of [p.netns, p.mntns, p.utsns]) writeFileSync(f, '');
  await run(['unshare', `--net=${p.netns}`, `--mount=${p.mntns}`, `--uts=${p.utsns}`, '--propagation', 'private', 'sh', '-c', setupScript(spec, p)]);
}

export async function destroyNamespaces(p: NodePaths): Promise<void> {
  for (const f of [p.netns, p.mntns, p.utsns]) {
    if (isMountPoint(f)) await run(['umount', f]);
  }
}

/** argv prefix that runs a command inside the node (all three namespaces). */
export function inNode(p: NodePaths): string[] {
  return ['nsenter', `--net=${p.netns}`, `--mount=${p.mntns}`, `--uts=${p.utsns}`, '--'];
}

/** argv prefix that runs a command in the node's network namespace only (root filesystem view). */
export function inNodeNet(p: NodePaths): string[] {
  return ['nsenter', `--net=${p.netns}`, '--'];
}

export interface DaemonOptions {
  /** Also enter the node's mount and UTS namespaces (default true). */
  fullNode?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a long-running process inside the node, in the node's cgroup, detached from this process,
 * with its output appended to `log`. Returns its pid (nsenter execs, so it is the daemon's pid).
 */
export function spawnDaemon(p: NodePaths, argv: string[], log: string, options: DaemonOptions = {}): number {
  const enter = options.fullNode === false ? inNodeNet(p) : inNode(p);
  const script = `${joinCgroupScript(p.daemonCgroup)}\nexec "$@"`;
  const fd = openSync(log, 'a');
  try {
    const child = spawn('sh', ['-c', script, 'sh', ...enter, ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
    if (child.pid === undefined) throw new TestbedError(`could not start ${argv[0]} in ${p.dir}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Starts a process in a cgroup of its own in the root namespace (used for the registry). */
export function spawnRootDaemon(cgroup: string, argv: string[], log: string): number {
  const script = `${joinCgroupScript(cgroup)}\nexec "$@"`;
  const fd = openSync(log, 'a');
  try {
    const child = spawn('sh', ['-c', script, 'sh', ...argv], { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new TestbedError(`could not start ${argv[0]}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Process state letter from /proc (R, S, T for stopped, Z …), undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

export async function nodeCommandSucceeds(p: NodePaths, argv: string[]): Promise<boolean> {
  return succeeds([...inNode(p), ...argv]);
}
