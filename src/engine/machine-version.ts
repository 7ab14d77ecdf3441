import { createHash } from 'node:crypto';
import { deployMachine } from '../../machines/deploy.ts';
import { hostGroupMachine } from '../../machines/host-group.ts';
import { hostMachine } from '../../machines/host.ts';
import { roleSwapMachine } from '../../machines/role-swap.ts';

// A run can be resumed or replayed only by the machines that recorded it. Their version is a hash
// of their definitions: states, transitions, and the code of their guards and actions (so a
// changed guard counts as a change, a changed comment in the file does not).
let cached: string | undefined;

export function machineVersion(): string {
  if (cached) return cached;
  const describe = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'function' ? `fn:${v.toString()}` : v));
  const hash = createHash('sha256');
  for (const machine of [deployMachine, hostGroupMachine, hostMachine, roleSwapMachine]) {
    hash.update(describe(machine.toJSON()));
    const { guards, actions, delays } = machine.implementations;
    hash.update(describe({ guards, actions, delays }));
  }
  cached = hash.digest('hex').slice(0, 16);
  return cached;
}
