// The last step of `npm run build`: the compiled CLI (dist/src/cli/main.js and everything it
// imports, the dependencies included) as one file, dist/sextant.mjs, which bin/sextant.js runs when
// it is there. One file spares Node the resolving, opening and linking of some 400 modules at every
// start: a `deploy` reaches its first server about a third sooner (docs/benchmarks.md).
// The compiled tree stays in dist/ as well: the init templates are read from it.
import { build } from 'esbuild';

// What esbuild's ESM output lacks and bundled CommonJS packages (ssh2) use.
const banner = [
  "import { createRequire as __sextantRequire } from 'node:module';",
  "import { fileURLToPath as __sextantPath } from 'node:url';",
  "import { dirname as __sextantDirname } from 'node:path';",
  'const require = __sextantRequire(import.meta.url);',
  'const __filename = __sextantPath(import.meta.url);',
  'const __dirname = __sextantDirname(__filename);',
].join('\n');

await build({
  entryPoints: ['dist/src/cli/main.js'],
  outfile: 'dist/sextant.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: banner },
  // ssh2 stays a package of its own: it loads its native crypto binding (and cpu-features) from
  // beside its own files, and without that binding every SSH packet is slower.
  external: ['ssh2'],
  logLevel: 'warning',
});
