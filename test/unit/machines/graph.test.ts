// Properties of the charts themselves, read from the machine definitions (guards taken as
// passable, so these hold for every plan): every state can be reached, and a run that took the
// deploy lock cannot fail without trying to give it back.
import { getStateNodes } from '@xstate/graph';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { deployMachine } from '../../../machines/deploy.ts';
import { reachable } from '../../../machines/diagram.ts';
import { hostMachine } from '../../../machines/host.ts';
import { roleSwapMachine } from '../../../machines/role-swap.ts';

const node = (machine: AnyStateMachine, id: string): AnyStateNode => {
  const found = getStateNodes(machine.root).find((n) => n.id === id);
  assert.ok(found, `no state ${id}`);
  return found;
};

test('every state of each machine is reachable from its start', () => {
  for (const machine of [deployMachine, hostMachine, roleSwapMachine]) {
    const seen = reachable(machine);
    const unreachable = getStateNodes(machine.root).filter((n) => !seen.has(n));
    assert.equal(unreachable.map((n) => n.id), [], machine.id);
  }
});

test('from anywhere under the lock, every way to failed passes through an unlock (releasingLock, or unlock itself)', () => {
  const failed = node(deployMachine, 'deploy.failed');
  const unlocking = new Set([node(deployMachine, 'deploy.releasingLock'), node(deployMachine, 'deploy.unlock')]);
  const locked = getStateNodes(node(deployMachine, 'deploy.locked')).filter((n) => n.type === 'atomic' || n.type === 'final');
  assert.ok(locked.length > 20);
  for (const from of locked) {
    // The failure path exists...
    assert.ok(reachable(deployMachine, { from }).has(failed), `${from.id} can fail`);
    // ...and is closed once the unlock states are taken away.
    const around = reachable(deployMachine, { from, stop: (n) => unlocking.has(n) });
    assert.not.ok(around.has(failed), `${from.id} reaches failed without an unlock`);
  }
});

test('before the lock is taken, a failure does not go through releasingLock', () => {
  const releasing = node(deployMachine, 'deploy.releasingLock');
  for (const id of ['deploy.build.running', 'deploy.preConnect.running', 'deploy.pull.running', 'deploy.lock.running']) {
    const seen = reachable(deployMachine, { from: node(deployMachine, id), stop: (n) => n.id === 'deploy.locked' });
    assert.not.ok(seen.has(releasing), id);
  }
});

test('the primary-role barrier opens between health and stopOld, and a role swap ends only in done, failed or halted', () => {
  const actionName = (action: unknown) => (typeof action === 'string' ? action : (action as { type?: string }).type);
  const opensOnWayToStopOld = getStateNodes(node(roleSwapMachine, 'roleSwap.health')).some((n) =>
    [...n.transitions.values()].flat().some((t) => t.target?.[0]?.id === 'roleSwap.stopOld' && t.actions.some((a) => actionName(a) === 'openBarrier')),
  );
  assert.ok(opensOnWayToStopOld, 'health → stopOld opens the barrier');
  const finals = getStateNodes(roleSwapMachine.root).filter((n) => n.type === 'final').map((n) => n.key).sort();
  assert.equal(finals, ['done', 'failed', 'halted']);
});

test.run();
