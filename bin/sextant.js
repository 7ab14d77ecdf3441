#!/usr/bin/env -S node --max-semi-space-size=1
// A young generation of 1 MiB semi-spaces (V8's default grows them to 16 MiB) takes about 14 MB
// off a deploy's peak memory; a CLI that mostly waits on SSH does not miss the faster scavenges.
// (It can only be set before V8 starts: `node bin/sextant.js` runs without it.)
// In a checkout (src/ beside bin/) the CLI runs from the TypeScript sources through tsx: an edit is
// live at once, and a dist/ left over from an earlier build is never run. The npm package ships no
// src/, only dist/ (compiled by `npm run build`, which `npm pack` runs), and needs no tsx; it runs
// dist/sextant.mjs, the whole CLI bundled into one file, which starts faster than the module tree.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  const bundle = new URL('../dist/sextant.mjs', import.meta.url);
  await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js');
}
