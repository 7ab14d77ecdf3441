// Kill matrix, second half: the stage boundaries from the boot on, and three kills in the middle of
// the second server's boot (docs/runs.md).
import { killMatrix, stageBoundaries } from './kill-matrix.ts';

const boot = stageBoundaries.findIndex((p) => p.at === 'boot');
await killMatrix('ikillb', [
  ...stageBoundaries.slice(boot),
  { at: 'boot:server2:renameClash!', what: "in the middle of the second server's boot, its new web container started behind the probes, the rename step not recorded" },
  { at: 'boot:server2:start!', what: "in the middle of the second server's boot, its new web container started but not recorded" },
  { at: 'boot:server2:health', what: "in the middle of the second server's boot, before kamal-proxy is pointed at its new web container" },
]);
