// A secret shorter than MIN_REDACTED_LENGTH is not hidden by value (that would garble every word
// containing it), but it is still never shown where Sextant knows the field is a secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { initedProject } from './inited-project.ts';

const projectWithShortSecrets = () => initedProject('KAMAL_REGISTRY_PASSWORD=y\nRAILS_MASTER_KEY=e\n');

test('a one-character secret: ordinary output is not garbled, and the known secret fields still show [REDACTED]', async () => {
  const p = await projectWithShortSecrets();
  try {
    const failed = captureIO(p.dir); // outside git, no version: an error message full of "y" and "e"
    assert.is(await runCli(['deploy', '--dry-run'], failed), 1);
    assert.match(failed.stderr, 'no git repository found');
    assert.not.match(failed.stderr, '[REDACTED]');

    const dry = captureIO(p.dir);
    assert.is(await runCli(['deploy', '--dry-run', '--version', 'v1'], dry), 0, dry.stderr);
    assert.match(dry.stdout, 'docker login -u [REDACTED] -p [REDACTED]');
    assert.not.match(dry.stdout, /-p y\b/);

    const config = captureIO(p.dir);
    assert.is(await runCli(['config', '--version', 'v1'], config), 0, config.stderr);
    assert.match(config.stdout, 'password: "[REDACTED]"');
    assert.match(config.stdout, 'RAILS_MASTER_KEY: "[REDACTED]"');
    assert.match(config.stdout, 'service: my-app', 'ordinary values are shown whole');
  } finally {
    p.cleanup();
  }
});

test.run();
