// Step 0 of a first deploy: getting Sextant for one's own app. `npm pack` builds the package; the
// tarball, installed into an empty prefix with only its `dependencies`, puts a working `sextant` on
// PATH that runs compiled JavaScript (no tsx, no TypeScript) in a folder outside this repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'sextant-install-'));
const prefix = join(work, 'prefix');
const app = join(work, 'app');
mkdirSync(app);

// Only what a user's shell would have: no NODE_OPTIONS (no tsx loader), this repo nowhere on PATH.
const env = { PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work, LANG: 'C.UTF-8' };
const sextant = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync('sextant', args, { cwd: app, env: { ...env, ...extra }, encoding: 'utf8' });

let tarball = '';

test.after(() => rmSync(work, { recursive: true, force: true }));

test('npm pack builds the package: bin/sextant.js and compiled dist/ only, no TypeScript sources', () => {
  // The build (prepack) prints its own lines before npm's JSON.
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [packed] = JSON.parse(out.slice(out.search(/^\[\s*$/m))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, packed!.filename);
  const paths = packed!.files.map((f) => f.path);
  const outsideDist = paths.filter((p) => !p.startsWith('dist/')).sort();
  assert.equal(outsideDist, ['README.md', 'bin/sextant.js', 'package.json']);
  assert.ok(paths.includes('dist/src/cli/main.js'), 'the compiled entry point is packed');
  assert.ok(paths.includes('dist/sextant.mjs'), 'the bundle that bin/sextant.js runs is packed');
  assert.ok(paths.includes('dist/src/cli/templates/deploy.yml'), 'init templates are packed');
  assert.equal(paths.filter((p) => p.endsWith('.ts')), [], 'no TypeScript in the package');
});

test('the tarball installs into an empty prefix with only its dependencies: no tsx, no typescript', () => {
  execFileSync('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.ok(existsSync(join(prefix, 'bin/sextant')), 'sextant is on the prefix PATH');
  const installed = join(prefix, 'lib/node_modules', pkg.name);
  const modules = readdirSync(join(installed, 'node_modules'));
  for (const devTool of ['tsx', 'typescript', 'esbuild']) assert.not.ok(modules.includes(devTool), `${devTool} is not installed`);
  assert.not.ok(existsSync(join(installed, 'src')), 'no sources beside bin/: the compiled dist/ runs');
});

test('sextant version, in a folder outside the repository', () => {
  const result = sextant(['version']);
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout.trim(), pkg.version);
});

test('sextant init, then config (exit 0, undefined secrets warned about), then deploy --dry-run', () => {
  const init = sextant(['init']);
  assert.is(init.status, 0, init.stderr);
  assert.match(init.stdout, 'Created configuration file in config/deploy.yml');
  assert.ok(existsSync(join(app, '.kamal/hooks/pre-deploy.sample')));

  const config = sextant(['config']);
  assert.is(config.status, 0, config.stderr);
  assert.match(config.stdout, /^service: my-app$/m);
  assert.match(config.stderr, "WARNING: registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets");
  assert.not.match(config.stderr, 'ERROR');

  const dryRun = sextant(['deploy', '--dry-run'], { VERSION: 'v1' });
  assert.is(dryRun.status, 0, dryRun.stderr);
  assert.match(dryRun.stdout, /^\[192\.168\.0\.1\] docker run --detach .* --name my-app-web-v1 /m);

  const deploy = sextant(['deploy'], { VERSION: 'v1' });
  assert.is(deploy.status, 1, 'a real deploy refuses the undefined secrets');
  assert.match(deploy.stderr, "registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets");
});

test.run();
