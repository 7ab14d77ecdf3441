import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Command } from 'commander';
import { captureIO } from '../../../src/cli/io.ts';
import { normalizeArgv } from '../../../src/cli/options.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { runCli } from '../../../src/cli/run.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { tempProject } from '../config/temp-project.ts';

const HOOKS = ['docker-setup', 'post-app-boot', 'post-deploy', 'post-proxy-reboot', 'pre-app-boot', 'pre-build', 'pre-connect', 'pre-deploy', 'pre-proxy-reboot'];

const KAMAL_HOOK_ENV = ['KAMAL_RECORDED_AT', 'KAMAL_PERFORMER', 'KAMAL_VERSION', 'KAMAL_SERVICE_VERSION', 'KAMAL_SERVICE', 'KAMAL_HOSTS', 'KAMAL_COMMAND', 'KAMAL_SUBCOMMAND', 'KAMAL_DESTINATION', 'KAMAL_ROLES', 'KAMAL_LOCK', 'KAMAL_RUNTIME'];

test('sextant init stubs the config, the secrets, the schema and all nine sample hooks', async () => {
  const project = tempProject({});
  try {
    const io = captureIO(project.dir);
    assert.is(await runCli(['init'], io), 0, io.stderr);
    assert.match(io.stdout, 'Created configuration file in config/deploy.yml');
    assert.match(io.stdout, 'Created .kamal/secrets file');
    assert.match(io.stdout, 'Created sample hooks in .kamal/hooks');
    assert.ok(existsSync(join(project.dir, '.kamal/deploy.schema.json')));
    const hooks = readdirSync(join(project.dir, '.kamal/hooks')).sort();
    assert.equal(hooks, HOOKS.map((h) => `${h}.sample`));
    for (const hook of hooks) {
      const mode = statSync(join(project.dir, '.kamal/hooks', hook)).mode;
      assert.ok(mode & 0o100, `${hook} is executable`);
      // Each sample uses Kamal's variable names, so it works unchanged under Kamal too.
      const text = readFileSync(join(project.dir, '.kamal/hooks', hook), 'utf8');
      assert.ok(text.startsWith('#!/bin/sh\n'), `${hook} is a shell script`);
      assert.match(text, /\$KAMAL_[A-Z_]+/, `${hook} reads a KAMAL_* variable`);
      for (const name of text.match(/KAMAL_[A-Z_]+/g) ?? []) assert.ok(KAMAL_HOOK_ENV.includes(name), `${hook}: ${name} is not a variable Kamal sets`);
    }
    // The stub is a valid configuration once its secret is named.
    const config = loadConfig({ cwd: project.dir });
    assert.is(config.service, 'my-app');

    const again = captureIO(project.dir);
    assert.is(await runCli(['init'], again), 0);
    assert.match(again.stdout, 'Config file already exists in config/deploy.yml (remove first to create a new one)');
  } finally {
    project.cleanup();
  }
});

function allCommands(command: Command, path: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...path, sub.name()], ...allCommands(sub, [...path, sub.name()])]);
}

test('--help works on every command and lists Kamal\'s global options', async () => {
  const program = await buildProgram({ io: captureIO('/tmp') });
  const commands = allCommands(program);
  assert.ok(commands.length >= 8, `found ${commands.length} commands`);
  for (const path of [[], ...commands]) {
    const io = captureIO('/tmp');
    assert.is(await runCli([...path, '--help'], io), 0, `sextant ${path.join(' ')} --help`);
    assert.match(io.stdout, 'Usage: sextant', `usage for ${path.join(' ')}`);
    for (const flag of ['-h, --hosts', '-r, --roles', '-c, --config-file', '-d, --destination', '-H, --skip-hooks', '--version <version>']) {
      assert.ok(io.stdout.includes(flag), `${path.join(' ') || 'sextant'} --help shows ${flag}`);
    }
  }
});

test('an unknown command exits 1 with a hint', async () => {
  const io = captureIO('/tmp');
  assert.is(await runCli(['frobnicate'], io), 1);
  assert.match(io.stderr, "unknown command 'frobnicate'");
});

test('Thor-style underscores in long options are accepted', () => {
  assert.equal(normalizeArgv(['deploy', '--skip_push', '--config_file=x.yml', '--', '--keep_this']), ['deploy', '--skip-push', '--config-file=x.yml', '--', '--keep_this']);
});

test('-h and -r take comma lists; -c and -d pick the files', async () => {
  const project = tempProject({
    'config/other.yml': 'service: app\nimage: dhh/app\nservers:\n  web: [1.1.1.1, 1.1.1.2]\n  workers: [1.1.1.3]\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\n',
  });
  try {
    const program = await buildProgram({ io: captureIO(project.dir) });
    let seen: Record<string, unknown> = {};
    program.command('probe').action((_o: unknown, cmd: Command) => {
      seen = cmd.optsWithGlobals();
    });
    await program.parseAsync(['probe', '-h', '1.1.1.1,1.1.1.2', '-r', 'web', '-c', 'config/other.yml', '-d', 'staging'], { from: 'user' });
    assert.equal(seen.hosts, ['1.1.1.1', '1.1.1.2']);
    assert.equal(seen.roles, ['web']);
    assert.is(seen.configFile, 'config/other.yml');
    assert.is(seen.destination, 'staging');
  } finally {
    project.cleanup();
  }
});

test('sextant version and schema print', async () => {
  const io = captureIO('/tmp');
  assert.is(await runCli(['version'], io), 0);
  assert.match(io.stdout, /^\d+\.\d+\.\d+\n$/);
  const schemaIo = captureIO('/tmp');
  assert.is(await runCli(['schema'], schemaIo), 0);
  const schema = JSON.parse(schemaIo.stdout);
  assert.ok(schema.properties.servers && schema.properties.proxy && schema.properties.accessories);
});

test('sextant docs prints the reference, or one section', async () => {
  const io = captureIO('/tmp');
  assert.is(await runCli(['docs'], io), 0);
  assert.match(io.stdout, 'proxy');
  const section = captureIO('/tmp');
  assert.is(await runCli(['docs', 'builder'], section), 0);
  assert.match(section.stdout, /^## .*builder/i);
  assert.ok(section.stdout.length < io.stdout.length);
  const missing = captureIO('/tmp');
  await runCli(['docs', 'nonsense'], missing);
  assert.match(missing.stdout, 'No documentation found for nonsense');
});

test.run();
