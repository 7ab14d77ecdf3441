// Rewrites the machine diagrams in docs/architecture.md from the machine definitions:
//   node --import tsx scripts/machine-diagrams.ts
// test/unit/machines/diagrams.test.ts fails when they are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { withDiagrams } from '../machines/diagram.ts';

const path = new URL('../docs/architecture.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withDiagrams(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'docs/architecture.md: the diagrams were current' : 'docs/architecture.md: diagrams rewritten');
