// Thor array options, as Kamal 2.6.0 reads them. Its only `type: :array` option is
// `proxy boot_config --docker_options` (cli/proxy.rb); Thor takes every token after it up to the
// next one that looks like a switch, after `--opt=` too, and a repeated flag replaces the values.
// Each value is written to .kamal/proxy/options as `--<value>`.
import type { Command } from 'commander';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO, type CapturedIO } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { prepareArgv, runCli } from '../../../src/cli/run.ts';
import { bootConfigFiles } from '../../../src/commands/proxy.ts';
import { tempProject } from '../config/temp-project.ts';

const CONFIG = `service: relay
image: acme/relay
servers:
  web: [10.0.3.11, 10.0.3.12]
  workers: { hosts: [10.0.3.13], cmd: bin/jobs }
registry: { server: ghcr.io, username: relaybot, password: [KAMAL_REGISTRY_PASSWORD] }
proxy: { host: relay.example.com, app_port: 8080 }
builder: { arch: amd64, driver: docker }
`;

interface Invocation {
  code: number;
  io: CapturedIO;
  // The options commander handed to `proxy boot_config`, when it ran.
  options?: Record<string, unknown>;
  lines: string[];
}

// Runs `sextant <argv> --dry-run` through the same argv preparation as the CLI, keeping the
// options the command action received.
async function invoke(argv: string[]): Promise<Invocation> {
  const p = tempProject({ 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-arr-71b0\n' });
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    const program = await buildProgram({ io });
    let options: Record<string, unknown> | undefined;
    program.hook('preAction', (_root: Command, action: Command) => {
      options = action.optsWithGlobals();
    });
    let code = 0;
    // --dry-run before a `--`, after which every word is the command's.
    const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
    try {
      await program.parseAsync(prepareArgv([...argv.slice(0, end), '--dry-run', ...argv.slice(end)], program, io), { from: 'user' });
    } catch (error) {
      io.err(String(error));
      code = 1;
    }
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret in the output');
    return { code, io, options, lines: io.stdout.split('\n').filter((line) => line.startsWith('[')) };
  } finally {
    p.cleanup();
  }
}

const SET = ['proxy', 'boot_config', 'set'];

// cli/proxy.rb boot_config set with only docker options: the options file is uploaded, the other
// three files are removed, on each proxy host (not the workers host). Hosts run side by side, so
// the lines are compared host by host.
function assertPlan(lines: string[], message: string): void {
  const proxyHosts = ['10.0.3.11', '10.0.3.12'];
  for (const host of proxyHosts) {
    assert.equal(lines.filter((line) => line.startsWith(`[${host}] `)), [
      `[${host}] /usr/bin/env mkdir -p .kamal/proxy`,
      `[${host}] upload .kamal/proxy/options (mode 0644, 1 line)`,
      `[${host}] /usr/bin/env rm .kamal/proxy/image`,
      `[${host}] /usr/bin/env rm .kamal/proxy/image_version`,
      `[${host}] /usr/bin/env rm .kamal/proxy/run_command`,
    ], `${message} on ${host}`);
  }
  assert.is(lines.length, 10, `${message}: nothing on other hosts`);
}

const OPTIONS_FILE = '--publish 80:80 --publish 443:443 --log-opt max-size=10m --sysctl=net.ipv4.ip_unprivileged_port_start=0 --label=b';

test('--docker_options takes every value up to the next switch, in each spelling', async () => {
  const spellings = [
    ['--docker_options=sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b'],
    ['--docker-options=sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b'],
    ['--docker_options', 'sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b'],
    ['--docker_options', 'sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b', '--debug', 'false'],
    ['--docker_options', 'label=first', '--docker_options=sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b'],
  ];
  for (const flags of spellings) {
    const run = await invoke([...SET, ...flags]);
    assert.is(run.code, 0, `${flags.join(' ')}\n${run.io.stderr}`);
    assert.equal(run.options?.dockerOptions, ['sysctl=net.ipv4.ip_unprivileged_port_start=0', 'label=b'], flags.join(' '));
    // The file's content is what boot_config set writes for those options.
    const write = bootConfigFiles({ dockerOptions: run.options?.dockerOptions as string[] })[0];
    assert.equal(write, { kind: 'write', path: '.kamal/proxy/options', content: OPTIONS_FILE }, flags.join(' '));
    assertPlan(run.lines, flags.join(' '));
  }
});

test('the subcommand may come after the options; values stop at any switch, even after --opt=', async () => {
  const run = await invoke(['proxy', 'boot_config', '--docker_options=label=a', 'label=b', '-r', 'web', 'set']);
  assert.is(run.code, 0, run.io.stderr);
  assert.equal(run.options?.dockerOptions, ['label=a', 'label=b']);
  assert.equal(run.options?.roles, ['web']);
  // A value that looks like a switch is taken only when attached with `=`.
  const attached = await invoke([...SET, '--docker_options=-x', 'label=b']);
  assert.is(attached.code, 0, attached.io.stderr);
  assert.equal(attached.options?.dockerOptions, ['-x', 'label=b']);
});

test('through runCli: the line Kamal takes is no longer "too many arguments"', async () => {
  const p = tempProject({ 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-arr-71b0\n' });
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    assert.is(await runCli([...SET, '--docker_options=sysctl=a', 'label=b', '--dry-run'], io), 0, io.stderr);
    assertPlan(io.stdout.split('\n').filter((line) => line.startsWith('[')), 'runCli');
  } finally {
    p.cleanup();
  }
});

test('--docker_options with no value is an error, as in Thor', async () => {
  const run = await invoke([...SET, '--docker_options', '--debug']);
  assert.is(run.code, 1);
  assert.match(run.io.stderr, "No value provided for option '--docker-options'");
  assert.is(run.options, undefined, 'the command did not run');
});

test('tokens after -- are never array values', async () => {
  const run = await invoke(['app', 'exec', '--', '--docker_options=x', 'y']);
  assert.is(run.code, 0, run.io.stderr);
  assert.ok(run.lines.some((line) => line.includes('--docker_options=x y')), run.lines.join('\n'));
});

test.run();
