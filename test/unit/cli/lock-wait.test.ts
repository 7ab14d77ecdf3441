// --lock-wait on the command line. Kamal 2.12 declares its --lock-wait as a class option of every
// command (lib/kamal/cli/base.rb), so a command that takes no lock accepts it and ignores it:
// a script written for Kamal does not break on it. The value is checked before anything runs.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

const example = readFileSync(new URL('../../../examples/hello/config/deploy.yml', import.meta.url), 'utf8');

async function dryRun(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = tempProject({ 'config/deploy.yml': example, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=SEXTANT-CANARY-PW\n', Dockerfile: 'FROM scratch\n' });
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    const code = await runCli([...args, '--dry-run'], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  } finally {
    p.cleanup();
  }
}

test('a locking command takes --lock-wait SECONDS', async () => {
  const result = await dryRun(['lock', 'acquire', '-m', 'x', '--lock-wait', '30', '--version', 'v1']);
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /mkdir \.kamal\/lock-/);
});

test('a command that takes no lock accepts --lock-wait and ignores it, as Kamal 2.12 does', async () => {
  const result = await dryRun(['app', 'details', '--lock-wait', '30']);
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.not.match(result.stdout + result.stderr, /lock/);
});

test('--lock-wait with something other than a number of seconds is refused before anything runs', async () => {
  for (const bad of ['soon', '-1']) {
    const result = await dryRun(['lock', 'acquire', '-m', 'x', '--lock-wait', bad, '--version', 'v1']);
    assert.ok(result.code !== 0, `--lock-wait ${bad} refused`);
    assert.match(result.stderr, `--lock-wait: expected a number of seconds ≥ 0, got "${bad}"`);
    assert.not.match(result.stdout, /mkdir/);
    assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.run();
