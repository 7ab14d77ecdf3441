// --lock-wait on the command line. Kamal 2.12 declares --lock-wait (a switch), --lock-wait-timeout
// and --lock-wait-interval as class options of every command (lib/kamal/cli/base.rb), so a command
// that takes no lock accepts them and ignores them: a script written for Kamal does not break on
// them. Sextant also reads `--lock-wait SECONDS`. Values are checked before anything runs.
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

test("Kamal 2.12's spelling: the bare switch with --lock-wait-timeout and --lock-wait-interval, dashes or underscores", async () => {
  for (const words of [
    ['--lock-wait'],
    ['--lock-wait', '--lock-wait-timeout', '60', '--lock-wait-interval', '5'],
    ['--lock_wait', '--lock_wait_timeout=60', '--lock_wait_interval=0.5'],
    ['--lock-wait=true'],
    ['--lock-wait=45'],
  ]) {
    const result = await dryRun(['deploy', '--skip-push', '--version', 'v1', ...words]);
    assert.is(result.code, 0, `${words.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stdout, /mkdir \.kamal\/lock-/);
  }
});

test('a word after the bare --lock-wait that is no number is left to the command, as Thor leaves it', async () => {
  const result = await dryRun(['lock', 'acquire', '--lock-wait', '-m', 'x', '--version', 'v1']);
  assert.is(result.code, 0, result.stdout + result.stderr);
  const stray = await dryRun(['lock', 'acquire', '-m', 'x', '--version', 'v1', '--lock-wait', 'soon']);
  assert.ok(stray.code !== 0, 'lock acquire takes no argument "soon"');
  assert.not.match(stray.stdout, /mkdir/);
});

test('a number after the bare --lock-wait is the argument of a command that takes one: rollback 123 goes back to version 123', async () => {
  const result = await dryRun(['rollback', '--lock-wait', '123']);
  assert.is(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /hello-web-123/);
  const attached = await dryRun(['rollback', '--lock-wait=60', '123']);
  assert.is(attached.code, 0, attached.stdout + attached.stderr);
  assert.match(attached.stdout, /hello-web-123/);
});

test('a wait that is not a number of seconds is refused before anything runs, naming the option', async () => {
  const cases: Array<[string[], string]> = [
    [['--lock-wait=soon'], '--lock-wait: expected a number of seconds ≥ 0, got "soon"'],
    [['--lock-wait', '--lock-wait-timeout', 'soon'], '--lock-wait-timeout: expected a number of seconds ≥ 0, got "soon"'],
    [['--lock-wait', '--lock-wait-timeout', '-1'], '--lock-wait-timeout: expected a number of seconds ≥ 0, got "-1"'],
    [['--lock-wait', '--lock-wait-interval', '0'], '--lock-wait-interval: expected a number of seconds > 0, got "0"'],
    [['--lock-wait-interval='], '--lock-wait-interval: expected a number of seconds > 0, got ""'],
  ];
  for (const [words, message] of cases) {
    const result = await dryRun(['lock', 'acquire', '-m', 'x', ...words, '--version', 'v1']);
    assert.ok(result.code !== 0, `${words.join(' ')} refused`);
    assert.match(result.stderr, message);
    assert.not.match(result.stdout, /mkdir/);
    assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test.run();
