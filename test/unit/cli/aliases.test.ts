// `aliases:` run as commands, the way Kamal 2.6.0's Alias::Command does (its main_test.rb alias
// cases): the alias's words, then the rest of the line; -c/-d on the line choose the config the
// alias is read from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

// Kamal's test/fixtures/deploy_with_aliases.yml, with a registry password from the secrets.
const CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1, 1.1.1.2]
  workers: { hosts: [1.1.1.3, 1.1.1.4] }
  console: { hosts: [1.1.1.5] }
builder: { arch: amd64 }
registry: { username: user, password: [KAMAL_REGISTRY_PASSWORD] }
aliases:
  info: details
  console: app exec --reuse -p -r console "bin/console"
  exec: app exec --reuse -p -r console
  rails: app exec --reuse -p -r console rails
  primary_details: details -p
  other_config: config -c config/deploy2.yml
  other_destination_config: config -d elsewhere
  loop_a: loop_b
  loop_b: loop_a
`;

const FILES = {
  'config/deploy.yml': CONFIG,
  'config/deploy2.yml': 'service: app2\nimage: dhh/app2\nservers: [1.1.1.9]\nregistry: { username: user, password: [KAMAL_REGISTRY_PASSWORD] }\nbuilder: { arch: amd64 }\n',
  'config/deploy.elsewhere.yml': 'service: app3\nservers: [1.1.1.8]\n',
  'config/deploy.staging.yml': 'aliases:\n  ls: app containers\n',
  'config/deploy.nowhere.yml': 'aliases:\n  broken: app exec "bin/console\n',
  '.kamal/secrets-common': 'KAMAL_REGISTRY_PASSWORD=CANARY-alias-5e1d\n',
};

async function run(argv: string[], files: Record<string, string> = FILES): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = tempProject(files);
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    const code = await runCli(argv, io);
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret in the output');
    return { code, stdout: io.stdout, stderr: io.stderr };
  } finally {
    p.cleanup();
  }
}

async function sameAs(alias: string[], direct: string[], files = FILES): Promise<string> {
  const viaAlias = await run(alias, files);
  const viaCommand = await run(direct, files);
  assert.is(viaAlias.code, 0, `sextant ${alias.join(' ')}\n${viaAlias.stderr}`);
  assert.is(viaCommand.code, 0, `sextant ${direct.join(' ')}\n${viaCommand.stderr}`);
  // Audit lines carry the time of each run.
  const untimed = (text: string) => text.replace(/\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]/g, '[TIME]');
  assert.fixture(untimed(viaAlias.stdout), untimed(viaCommand.stdout));
  return viaAlias.stdout;
}

test('an alias runs its command line', async () => {
  const out = await sameAs(['info', '--dry-run'], ['details', '--dry-run']);
  assert.match(out, '[1.1.1.1] docker ps --filter label=service=app --filter label=destination= --filter label=role=web');
});

test('alias options apply: console execs on the console host only', async () => {
  const out = await sameAs(['console', '--dry-run'], ['app', 'exec', '--reuse', '-p', '-r', 'console', 'bin/console', '--dry-run']);
  assert.match(out, /\[1\.1\.1\.5\] docker exec app-console-999 bin\/console/);
  assert.not.match(out, '[1.1.1.1]');
  assert.not.match(out, '[1.1.1.3]');
});

test('options after the alias name win over the alias own: console -r workers', async () => {
  const out = await sameAs(['console', '-r', 'workers', '--dry-run'], ['app', 'exec', '--reuse', '-p', '-r', 'workers', 'bin/console', '--dry-run']);
  assert.match(out, /\[1\.1\.1\.3\] docker exec app-workers-999 bin\/console/);
  assert.not.match(out, '[1.1.1.5]');
  // Global options typed before the alias name are passed on the same way.
  await sameAs(['-r', 'workers', 'console', '--dry-run'], ['console', '-r', 'workers', '--dry-run']);
});

test('words after the alias are appended to its command', async () => {
  assert.match(await sameAs(['exec', 'bin/job', '--dry-run'], ['app', 'exec', '--reuse', '-p', '-r', 'console', 'bin/job', '--dry-run']), /\[1\.1\.1\.5\] docker exec app-console-999 bin\/job/);
  assert.match(await sameAs(['rails', 'db:migrate:status', '--dry-run'], ['app', 'exec', '--reuse', '-p', '-r', 'console', 'rails', 'db:migrate:status', '--dry-run']),
    /\[1\.1\.1\.5\] docker exec app-console-999 rails db:migrate:status/);
});

test('run on the primary host via an alias', async () => {
  const out = await sameAs(['primary_details', '--dry-run'], ['details', '-p', '--dry-run']);
  assert.match(out, '[1.1.1.1]');
  assert.not.match(out, '[1.1.1.2]');
});

test('an alias can switch the config file or the destination', async () => {
  assert.match(await sameAs(['other_config'], ['config', '-c', 'config/deploy2.yml']), /^service: app2$/m);
  assert.match(await sameAs(['other_destination_config'], ['config', '-d', 'elsewhere']), /^service: app3$/m);
});

test('-d on the line picks the config the alias is read from', async () => {
  await sameAs(['ls', '-d', 'staging', '--dry-run'], ['app', 'containers', '-d', 'staging', '--dry-run']);
  await sameAs(['-d', 'staging', 'ls', '--dry-run'], ['app', 'containers', '-d', 'staging', '--dry-run']);
  const unknown = await run(['ls', '--dry-run']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, "unknown command 'ls'");
});

test('-c on the line picks the config the alias is read from', async () => {
  const files = { ...FILES, 'config/deploy.yml': FILES['config/deploy2.yml'], 'config/aliased.yml': CONFIG };
  await sameAs(['info', '-c', 'config/aliased.yml', '--dry-run'], ['details', '-c', 'config/aliased.yml', '--dry-run'], files);
  const unknown = await run(['info', '--dry-run'], files);
  assert.match(unknown.stderr, "unknown command 'info'");
});

test('an unknown command without a config file stays an unknown command', async () => {
  const result = await run(['deplyo'], {});
  assert.is(result.code, 1);
  assert.match(result.stderr, "unknown command 'deplyo'");
  assert.not.match(result.stderr, 'ERROR');
});

test('built-in commands win over the config', async () => {
  // The config check refuses an alias named like a command; an invalid config is reported by name.
  const result = await run(['deploy', '--dry-run'], { ...FILES, 'config/deploy.yml': `${CONFIG}  deploy: app details\n` });
  assert.is(result.code, 1);
  assert.match(result.stderr, "Alias 'deploy' conflicts with a built-in command.");
});

test('an alias that leads back to itself is refused, not run forever', async () => {
  const result = await run(['loop_a']);
  assert.is(result.code, 1);
  assert.match(result.stderr, "Alias 'loop_a' leads back to itself (loop_a → loop_b → loop_a)");
});

test('an alias whose quotes do not close names the alias', async () => {
  const result = await run(['broken', '-d', 'nowhere']);
  assert.is(result.code, 1);
  assert.match(result.stderr, /aliases\/broken: cannot split .* Unmatched quote/);
});

test.run();
