// The testbed's network in the root namespace: one bridge holding the subnet's first address, one
// veth per node, and one iptables rule that drops anything the bridge would forward elsewhere.
// Nodes get no default route, so nothing they send can leave the machine.
import { BRIDGE, BRIDGE_IP, macFor, RULE_COMMENT, SUBNET, SUBNET_PREFIX } from './layout.ts';
import type { NodePaths, NodeSpec } from './layout.ts';
import { output, run, succeeds, TestbedError } from './exec.ts';

const BRIDGE_MAC = '02:53:58:00:00:01';

export async function linkExists(name: string): Promise<boolean> {
  return succeeds(['ip', 'link', 'show', 'dev', name]);
}

/** Fails when another interface on this machine already routes part of the testbed subnet. */
export async function checkSubnetFree(): Promise<void> {
  const routes = JSON.parse(await output(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{ dst?: string; dev?: string }>;
  for (const r of routes) {
    if (!r.dst || r.dev === BRIDGE || r.dst === 'default') continue;
    if (r.dst.startsWith(`${SUBNET_PREFIX}.`) || overlaps(r.dst)) {
      throw new TestbedError(`the testbed subnet ${SUBNET} is already in use on this machine: route ${r.dst} dev ${r.dev ?? '?'}`);
    }
  }
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function overlaps(cidr: string): boolean {
  const [ip, bitsText] = cidr.split('/');
  if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  const bits = Number(bitsText ?? '32');
  const size = 2 ** (32 - bits);
  const start = Math.floor(toInt(ip) / size) * size;
  const ours = toInt(`${SUBNET_PREFIX}.0`);
  return start < ours + 256 && ours < start + size;
}

export async function ensureBridge(): Promise<void> {
  if (!(await linkExists(BRIDGE))) {
    await run(['ip', 'link', 'add', BRIDGE, 'address', BRIDGE_MAC, 'type', 'bridge']);
  }
  const addrs = await output(['ip', '-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(`${BRIDGE_IP}/24`)) await run(['ip', 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE]);
  await run(['ip', 'link', 'set', BRIDGE, 'up']);
}

export async function removeBridge(): Promise<void> {
  if (await linkExists(BRIDGE)) await run(['ip', 'link', 'del', BRIDGE]);
}

const forwardRule = ['FORWARD', '-i', BRIDGE, '!', '-o', BRIDGE, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'DROP'];

export async function ensureForwardDrop(): Promise<void> {
  if (!(await succeeds(['iptables', '-w', '-C', ...forwardRule]))) await run(['iptables', '-w', '-I', ...forwardRule]);
}

/** Removes every rule in the root namespace's filter and nat tables that carries the testbed's comment. */
export async function removeRootRules(): Promise<void> {
  for (const table of ['filter', 'nat']) {
    await removeRulesWithComment(['iptables', '-w', '-t', table]);
  }
}

/**
 * Deletes the rules tagged with the testbed comment (only those of `chain` when given); `iptables`
 * is a prefix such as ['nsenter', …, 'iptables', '-t', 'nat'].
 */
export async function removeRulesWithComment(iptables: string[], chain?: string): Promise<number> {
  const listing = await run([...iptables, '-S', ...(chain ? [chain] : [])], { allowFailure: true });
  if (listing.code !== 0) return 0;
  let removed = 0;
  for (const line of listing.stdout.split('\n')) {
    if (!line.startsWith('-A ') || !line.includes(`--comment ${RULE_COMMENT}`)) continue;
    // `iptables -S` prints rules in a form `iptables -D` accepts back (the comment has no spaces).
    const words = line.slice(3).split(' ');
    const deleted = await run([...iptables, '-D', ...words], { allowFailure: true });
    if (deleted.code !== 0) {
      // Tolerate a rule that vanished meanwhile; fail only if it is still listed.
      const again = await run([...iptables, '-S', ...(chain ? [chain] : [])], { allowFailure: true });
      if (again.stdout.split('\n').includes(line)) throw new TestbedError(`cannot delete iptables rule "${line}": ${deleted.stderr.trim()}`);
    }
    removed++;
  }
  return removed;
}

/** Creates the node's veth pair: root side attached to the bridge, `eth0` inside the node's netns. */
export async function createVeth(spec: NodeSpec, p: NodePaths): Promise<void> {
  if (await linkExists(p.veth)) await run(['ip', 'link', 'del', p.veth]);
  await run(['ip', 'link', 'add', p.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns]);
  await run(['ip', 'link', 'set', p.veth, 'master', BRIDGE, 'up']);
  const inNet = ['nsenter', `--net=${p.netns}`];
  await run([...inNet, 'ip', 'link', 'set', 'eth0', 'address', macFor(spec.ip)]);
  await run([...inNet, 'ip', 'addr', 'add', `${spec.ip}/24`, 'dev', 'eth0']);
  await run([...inNet, 'ip', 'link', 'set', 'eth0', 'up']);
  await run([...inNet, 'ip', 'link', 'set', 'lo', 'up']);
  // A neighbour entry left from an earlier incarnation of this address would delay traffic.
  await run(['ip', 'neigh', 'flush', 'to', spec.ip, 'dev', BRIDGE], { allowFailure: true });
}

/** Deletes the veth explicitly (namespace deletion would remove it, but asynchronously). */
export async function deleteVeth(p: NodePaths): Promise<void> {
  if (await linkExists(p.veth)) await run(['ip', 'link', 'del', p.veth]);
}

export async function setVethUp(p: NodePaths, up: boolean): Promise<void> {
  await run(['ip', 'link', 'set', p.veth, up ? 'up' : 'down']);
}

/** Names of veths left by the testbed (sxtb-*), whatever the state file says. */
export async function testbedVeths(): Promise<string[]> {
  const links = JSON.parse(await output(['ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>;
  return links.map((l) => l.ifname).filter((n) => n.startsWith('sxtb-'));
}
