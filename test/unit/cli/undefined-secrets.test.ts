// A fresh `sextant init`: secrets not wired up yet. Commands that only show things (`config`,
// every --dry-run) work, with one warning per undefined secret; `config --reveal` and real runs refuse.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { initedProject } from './inited-project.ts';

const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('WARNING: '));

test('config in a fresh init: exit 0, each undefined secret shown as [MISSING] and warned about once on stderr', async () => {
  const p = await initedProject();
  try {
    const io = captureIO(p.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.match(io.stdout, /registry:\n {2}username: my-user\n {2}password: "\[MISSING\]"\n/);
    assert.match(io.stdout, /RAILS_MASTER_KEY: "\[MISSING\]"/);
    assert.not.match(io.stdout, 'REDACTED', 'nothing defined, so nothing is redacted: missing is not hidden');
    assert.equal(warnings(io.stderr), [
      "WARNING: registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
      "WARNING: env/secret/0: secret 'RAILS_MASTER_KEY' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
    ]);
    assert.is(io.stderr, warnings(io.stderr).map((line) => `${line}\n`).join(''), 'only warnings on stderr');
  } finally {
    p.cleanup();
  }
});

test('config: a secret asked for in several places is one warning naming every key path; defined secrets stay redacted', async () => {
  const p = await initedProject();
  try {
    const yml = join(p.dir, 'config/deploy.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace('  web:\n    - 192.168.0.1\n', '  web:\n    hosts:\n      - 192.168.0.1\n    env:\n      secret:\n        - RAILS_MASTER_KEY\n'));
    writeFileSync(join(p.dir, '.kamal/secrets'), 'KAMAL_REGISTRY_PASSWORD=CANARY-DEFINED-VALUE\n');
    const io = captureIO(p.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.equal(warnings(io.stderr), [
      "WARNING: env/secret/0, servers/web/env/secret/0: secret 'RAILS_MASTER_KEY' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
    ]);
    assert.match(io.stdout, 'password: "[REDACTED]"');
    assert.not.match(io.stdout + io.stderr, 'CANARY-DEFINED-VALUE');
  } finally {
    p.cleanup();
  }
});

test('config with no secrets file says so in the warning', async () => {
  const p = await initedProject();
  try {
    rmSync(join(p.dir, '.kamal/secrets'));
    const io = captureIO(p.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.match(io.stderr, "WARNING: registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in no secrets file (.kamal/secrets-common, .kamal/secrets[.dest])");
  } finally {
    p.cleanup();
  }
});

test('config outside any git repository, without VERSION: the version is shown as missing, with the reason', async () => {
  const p = await initedProject();
  try {
    const io = captureIO(p.dir); // the temporary folder is in no git repository
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.match(io.stdout, 'version: "[MISSING]"');
    assert.match(io.stderr, /^WARNING: version shown as \[MISSING\]: Can't use commit hash as version, no git repository found in .* \(commit, or pass --version or set VERSION\)$/m);
  } finally {
    p.cleanup();
  }
});

test('config --reveal still refuses undefined secrets, naming each key path and the secrets file', async () => {
  const p = await initedProject();
  try {
    const io = captureIO(p.dir, { VERSION: 'v1' });
    assert.is(await runCli(['config', '--reveal'], io), 1);
    assert.match(io.stderr, "registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets");
    assert.is(io.stdout, '');
  } finally {
    p.cleanup();
  }
});

test('deploy --dry-run in a fresh init: exit 0, the whole plan, each undefined secret warned about once', async () => {
  const p = await initedProject();
  try {
    const io = captureIO(p.dir, { VERSION: 'v1', PATH: process.env.PATH });
    assert.is(await runCli(['deploy', '--dry-run'], io), 0, io.stderr);
    assert.match(io.stdout, /^\[192\.168\.0\.1\] docker login -u \[REDACTED\] -p \[REDACTED\]$/m);
    assert.match(io.stdout, /^\[192\.168\.0\.1\] docker run --detach --restart unless-stopped --name my-app-web-v1 /m);
    assert.equal(warnings(io.stderr), [
      "WARNING: registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
      "WARNING: env/secret/0: secret 'RAILS_MASTER_KEY' is not defined in .kamal/secrets (value [MISSING]; a real run refuses it)",
    ]);
  } finally {
    p.cleanup();
  }
});

test('other dry runs too (app boot, registry login, accessory-free setup)', async () => {
  const p = await initedProject();
  try {
    for (const argv of [['app', 'boot', '--dry-run'], ['registry', 'login', '--dry-run'], ['setup', '--dry-run']]) {
      const io = captureIO(p.dir, { VERSION: 'v1', PATH: process.env.PATH });
      assert.is(await runCli(argv, io), 0, `${argv.join(' ')}: ${io.stderr}`);
      assert.is(warnings(io.stderr).filter((line) => line.includes('KAMAL_REGISTRY_PASSWORD')).length, 1, `${argv.join(' ')}: one warning per secret\n${io.stderr}`);
    }
  } finally {
    p.cleanup();
  }
});

test.run();
