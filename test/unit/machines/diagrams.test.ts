// docs/architecture.md's machine diagrams are generated from the machine definitions; this fails
// when a machine changed and `node --import tsx scripts/machine-diagrams.ts` was not run.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deployMachine } from '../../../machines/deploy.ts';
import { allStates, machineDiagrams, withDiagrams } from '../../../machines/diagram.ts';
import { hostMachine } from '../../../machines/host.ts';
import { roleSwapMachine } from '../../../machines/role-swap.ts';

test('docs/architecture.md has the diagrams of the machines as they are', () => {
  const doc = readFileSync(new URL('../../../docs/architecture.md', import.meta.url), 'utf8');
  assert.is(withDiagrams(doc), doc, 'run `node --import tsx scripts/machine-diagrams.ts`');
});

test('the diagrams draw the flow: every stage of the chart in order, and the lock released on failure', () => {
  const diagrams = machineDiagrams();
  for (const edge of [
    'build --> preConnect',
    'preConnect --> pull',
    'lock --> locked',
    'locked --> releasingLock: STAGE.FAILED',
    'locked --> unlock: done',
    'locked_prune --> locked_postDeploy',
    'releasingLock --> failed',
    'idle --> stage: RUN',
    'renameClash --> awaitBarrier: done',
    'health --> stopOld: done',
    'health --> rollback: error',
  ]) {
    assert.ok(diagrams.includes(edge), edge);
  }
});

test('every state of every machine says what happens there', () => {
  for (const machine of [deployMachine, hostMachine, roleSwapMachine]) {
    const bare = allStates(machine).filter((node) => !node.description);
    assert.equal(bare.map((node) => node.id), [], `${machine.id}: states without a description`);
  }
});

test.run();
