// Each testbed node's processes (sshd, dockerd, containerd, shims, containers) live in one cgroup,
// `sextant-testbed/<node>`, in every hierarchy. Killing by cgroup leaves nothing behind, which
// killing by namespace does not (containerd shims outlive their daemon). Handles cgroup v1 (with or
// without the v2 "unified" mount beside it) and pure cgroup v2.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_ROOT } from './layout.ts';
import { sleep, TestbedError } from './exec.ts';

export interface Hierarchy {
  /** Where it is mounted in the root namespace, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** Mount options as in /proc/self/mountinfo's super options, e.g. "rw,memory" or "rw,name=systemd". */
  superOptions: string;
}

export interface CgroupLayout {
  version: 1 | 2;
  hierarchies: Hierarchy[];
}

let cached: CgroupLayout | undefined;

export function cgroupLayout(): CgroupLayout {
  if (cached) return cached;
  const hierarchies: Hierarchy[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fsType, , superOptions] = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    if (!mountPoint || !superOptions || (fsType !== 'cgroup' && fsType !== 'cgroup2')) continue;
    if (!mountPoint.startsWith('/sys/fs/cgroup')) continue;
    hierarchies.push({ mountPoint, fsType, superOptions });
  }
  if (hierarchies.length === 0) throw new TestbedError('no cgroup hierarchy is mounted under /sys/fs/cgroup');
  const pureV2 = hierarchies.length === 1 && hierarchies[0]?.fsType === 'cgroup2' && hierarchies[0].mountPoint === '/sys/fs/cgroup';
  cached = { version: pureV2 ? 2 : 1, hierarchies };
  return cached;
}

function v1Controller(h: Hierarchy, name: string): boolean {
  return h.fsType === 'cgroup' && h.superOptions.split(',').includes(name);
}

/** The hierarchy to list processes from and to read memory from. */
function primary(): Hierarchy {
  const layout = cgroupLayout();
  const found = layout.version === 2 ? layout.hierarchies[0] : layout.hierarchies.find((h) => v1Controller(h, 'memory')) ?? layout.hierarchies.find((h) => h.fsType === 'cgroup');
  if (!found) throw new TestbedError('no usable cgroup hierarchy');
  return found;
}

function dirs(rel: string): string[] {
  return cgroupLayout().hierarchies.map((h) => join(h.mountPoint, rel));
}

/**
 * Creates `rel` (e.g. "sextant-testbed/srv1/daemons") in every hierarchy. In cgroup v2 the
 * controllers are delegated down to `rel`'s parent, so `rel` must be a leaf for processes.
 */
export function createCgroup(rel: string): void {
  const layout = cgroupLayout();
  for (const h of layout.hierarchies) {
    let path = h.mountPoint;
    const parts = rel.split('/');
    parts.forEach((part) => {
      const parent = path;
      // In v2, a child only gets the controllers its parent delegates.
      if (layout.version === 2) enableV2Controllers(parent);
      path = join(path, part);
      if (!existsSync(path)) mkdirSync(path);
      // A v1 cpuset cgroup accepts no process until its cpus and mems are set.
      if (v1Controller(h, 'cpuset')) {
        for (const file of ['cpuset.cpus', 'cpuset.mems']) {
          if (readFileSync(join(path, file), 'utf8').trim() === '') {
            writeFileSync(join(path, file), readFileSync(join(parent, file), 'utf8').trim());
          }
        }
      }
    });
  }
}

function enableV2Controllers(dir: string): void {
  const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  for (const c of ['cpu', 'memory', 'pids', 'io', 'cpuset']) {
    if (!available.includes(c)) continue;
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), `+${c}`);
    } catch {
      // a controller that cannot be delegated here is not needed by the testbed
    }
  }
}

/** Shell lines that move the running shell ($$) into `rel` in every hierarchy. */
export function joinCgroupScript(rel: string): string {
  return dirs(rel)
    .map((d) => `echo $$ > '${join(d, 'cgroup.procs')}'`)
    .join('\n');
}

/** Every process in `rel` and below. */
export function pidsIn(rel: string): number[] {
  const root = join(primary().mountPoint, rel);
  const pids: number[] = [];
  const walk = (dir: string) => {
    let text = '';
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) if (line.trim()) pids.push(Number(line));
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
  };
  if (existsSync(root)) walk(root);
  return pids;
}

export function cgroupExists(rel: string): boolean {
  return existsSync(join(primary().mountPoint, rel));
}

/** Names of the direct children of `rel` (e.g. the node cgroups below sextant-testbed). */
export function childCgroups(rel: string = CGROUP_ROOT): string[] {
  const dir = join(primary().mountPoint, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

function setFrozen(rel: string, frozen: boolean): void {
  const layout = cgroupLayout();
  if (layout.version === 2) {
    const file = join(primary().mountPoint, rel, 'cgroup.freeze');
    if (existsSync(file)) writeFileSync(file, frozen ? '1' : '0');
    return;
  }
  const freezer = layout.hierarchies.find((h) => v1Controller(h, 'freezer'));
  if (!freezer) return;
  const file = join(freezer.mountPoint, rel, 'freezer.state');
  if (existsSync(file)) writeFileSync(file, frozen ? 'FROZEN' : 'THAWED');
}

/** SIGKILLs every process in `rel` and below, freezing first so nothing forks away; waits until empty. */
export async function killCgroup(rel: string, timeoutMs = 10_000): Promise<void> {
  if (!cgroupExists(rel)) return;
  const killFile = join(primary().mountPoint, rel, 'cgroup.kill');
  const deadline = Date.now() + timeoutMs;
  while (pidsIn(rel).length > 0) {
    if (cgroupLayout().version === 2 && existsSync(killFile)) {
      writeFileSync(killFile, '1');
    } else {
      setFrozen(rel, true);
      for (const pid of pidsIn(rel)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      setFrozen(rel, false);
    }
    if (Date.now() > deadline) {
      throw new TestbedError(`processes still alive in cgroup ${rel} after SIGKILL: ${pidsIn(rel).join(', ')}`);
    }
    await sleep(20);
  }
}

/** Removes `rel` and every cgroup below it, in every hierarchy (they must be empty). */
export function removeCgroup(rel: string): void {
  for (const dir of dirs(rel)) {
    if (!existsSync(dir)) continue;
    const removeTree = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(d, entry.name));
      rmdirSync(d);
    };
    removeTree(dir);
  }
}

/** Memory charged to `rel` and below, in bytes (includes page cache of the node's files). */
export function memoryBytes(rel: string): number | undefined {
  const layout = cgroupLayout();
  const h = primary();
  const file = join(h.mountPoint, rel, layout.version === 2 ? 'memory.current' : 'memory.usage_in_bytes');
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Sum of resident set sizes of the processes in `rel`, in bytes. */
export function rssBytes(rel: string): number {
  let total = 0;
  for (const pid of pidsIn(rel)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Shell lines that mount the same cgroup hierarchies inside a fresh mount namespace. */
export function remountCgroupsScript(): string {
  const layout = cgroupLayout();
  if (layout.version === 2) return 'mount -t cgroup2 cgroup2 /sys/fs/cgroup';
  const lines = ['mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup'];
  for (const h of layout.hierarchies) {
    lines.push(`mkdir -p '${h.mountPoint}'`);
    if (h.fsType === 'cgroup2') {
      lines.push(`mount -t cgroup2 cgroup2 '${h.mountPoint}'`);
    } else {
      const opts = h.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent='));
      // A named hierarchy without controllers needs "none" to be mounted again.
      if (opts.every((o) => o.startsWith('name=') || o === 'noprefix' || o === 'clone_children' || o === 'xattr')) opts.unshift('none');
      lines.push(`mount -t cgroup -o '${opts.join(',')}' cgroup '${h.mountPoint}'`);
    }
  }
  return lines.join('\n');
}
