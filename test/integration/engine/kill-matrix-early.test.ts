// Kill matrix, first half: the stage boundaries up to the boot (docs/runs.md).
import { killMatrix, stageBoundaries } from './kill-matrix.ts';

const boot = stageBoundaries.findIndex((p) => p.at === 'boot');
await killMatrix('ikilla', stageBoundaries.slice(0, boot));
