// Round trip of hostile config and secret values through the REAL command builders: each seeded value
// (shell-fuzz-helpers.ts) is written into a deploy.yml, loaded with loadConfig, built into the
// commands that carry user values (app `docker run`, kamal-proxy deploy, kamal-proxy stop with the
// operator's `--message`, accessory `docker run` and proxy deploy, both registry logins with values
// from the config and from the secrets, `docker buildx build`), rendered by shell.ts
// and run by /bin/sh (dash) and bash with a fake `docker` first on PATH that prints its argv
// NUL-separated. Every hostile value must arrive as exactly the word Kamal's rules give, and no
// value may run anything (sentinel files must not appear).
//
// Expected words: the same config is also built with a shell-safe placeholder in every slot (the
// control run). The hostile run must give the control's argv with each placeholder replaced by what
// the slot's rule delivers for the value, modelled independently of shell.ts:
//   value     escape_shell_value (argumentize/optionize values, logins): Ruby String#dump's escapes
//             stay visible (a newline arrives as the two characters `\n`), simple `${NAME}` expands
//   argument  argumentize's `KEY=<value>`, where a blank value gives a bare `KEY`
//   secret    a value read from the secrets: like value, but no `$` expands
//   verbatim  things Kamal sends without escaping (keys, volumes, registry server, build target,
//             file and context, port, network): Sextant single-quotes them when unsafe, so they
//             arrive exactly as written; an empty one leaves no word (as in Kamal)
//   remotePath an accessory volume: a leading `$PWD/` expands on the host, the rest is verbatim
//
// Not fuzzed, on purpose: role and accessory `cmd`, `builder.ssh` and the operator's `app exec` /
// `grep` options are shell code that Kamal sends raw (shellCode parts) so the operator can use
// the shell; escaping them would break Kamal compatibility. Secrets of env files never reach a
// command line (env-file.ts has its own tests). Hook variables are not rendered into the line
// either: LocalTransport passes them as the process environment (last test below).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployAccessoryToProxy, runAccessory, accessoryRegistry } from '../../../src/commands/accessory.ts';
import { appRun, deployToProxy, maintenance } from '../../../src/commands/app.ts';
import { buildCommand } from '../../../src/commands/builder.ts';
import type { Command } from '../../../src/commands/command.ts';
import { hookCommand, hookEnvironment } from '../../../src/commands/hook.ts';
import { login } from '../../../src/commands/registry.ts';
import { render } from '../../../src/commands/shell.ts';
import { envFor, loadConfig, type Config } from '../../../src/config/index.ts';
import { LocalTransport } from '../../../src/remote/local.ts';
import { secretsFrom } from '../../fixtures/commands/b/load.ts';
import { FUZZ_ENV, generateValues, intended } from './shell-fuzz-helpers.ts';

const SEED = 0xb17d3f2;
// Loading a config costs ~20 ms (loadConfig builds its schema each time): that bounds CASES.
const CASES = 160;

const sentinelDir = mkdtempSync(join(tmpdir(), 'sextant-pwned-'));
const workDir = realpathSync(mkdtempSync(join(tmpdir(), 'sextant-builder-fuzz-')));
const binDir = join(workDir, 'bin');
const configDir = join(workDir, 'project');
const hostDir = join(workDir, 'host');
for (const dir of [binDir, configDir, hostDir]) mkdirSync(dir);

// The fake docker: its arguments NUL-terminated, then a record separator.
writeFileSync(join(binDir, 'docker'), "#!/bin/sh\nprintf '%s\\0' \"$@\"\nprintf '\\036\\0'\n");
chmodSync(join(binDir, 'docker'), 0o755);

/** Empties the sentinel directory, so each test reports only what ran during it. */
function resetSentinels(): void {
  for (const name of readdirSync(sentinelDir)) rmSync(join(sentinelDir, name), { recursive: true, force: true });
}

const SHELL_ENV: Record<string, string> = { ...FUZZ_ENV, PATH: `${binDir}:${FUZZ_ENV.PATH}` };
const RS = '\x1e';
const GS = '\x1d';

// --- slots: where a fuzz value goes, and what its word must read -------------------------------

type Kind = 'value' | 'argument' | 'secret' | 'verbatim' | 'remotePath';

const SLOTS = {
  env: 'argument',
  envKey: 'verbatim',
  roleEnv: 'argument',
  label: 'argument',
  roleLabel: 'argument',
  roleLabelKey: 'verbatim',
  roleOption: 'value',
  roleOptionKey: 'verbatim',
  logDriver: 'value',
  logOption: 'argument',
  logOptionKey: 'verbatim',
  volume: 'verbatim',
  assetPath: 'verbatim',
  registryServer: 'verbatim',
  registryUser: 'value',
  registryPassword: 'secret',
  proxyHost: 'value',
  healthcheckPath: 'value',
  requestHeader: 'value',
  responseHeader: 'value',
  maintenanceMessage: 'value',
  buildArg: 'argument',
  buildArgKey: 'verbatim',
  buildSecret: 'argument',
  dockerfile: 'verbatim',
  target: 'verbatim',
  context: 'verbatim',
  accessoryNetwork: 'verbatim',
  accessoryPort: 'verbatim',
  accessoryEnv: 'argument',
  accessoryEnvKey: 'verbatim',
  accessoryLabel: 'argument',
  accessoryOption: 'value',
  accessoryOptionKey: 'verbatim',
  accessoryVolume: 'remotePath',
  accessoryPwdVolume: 'verbatim',
  accessoryDirectory: 'verbatim',
  accessoryRegistryUser: 'secret',
  accessoryRegistryPassword: 'value',
  accessoryProxyHost: 'value',
  accessoryHealthcheckPath: 'value',
  accessoryRequestHeader: 'value',
  accessoryResponseHeader: 'value',
} as const satisfies Record<string, Kind>;

type SlotName = keyof typeof SLOTS;
const SLOT_NAMES = Object.keys(SLOTS) as SlotName[];

/** The text a slot holds for a fuzz value: the value itself, except where the config needs a shape. */
const SLOT_TEXT: Partial<Record<SlotName, (value: string) => string>> = {
  // `directories:` entries are split on `:`.
  accessoryDirectory: (value) => value.replaceAll(':', ''),
};

function slotText(name: SlotName, value: string): string {
  return (SLOT_TEXT[name] ?? ((text: string) => text))(value);
}

/** Shell-safe and unique: no placeholder is part of another (`ZQ…QZ`). */
const placeholder = (name: SlotName) => `ZQ${name}QZ`;

type Slot = (name: SlotName) => string;

/**
 * The deploy.yml of one case, as data. Where a slot would make the config invalid or change its
 * shape when blank, a fixed prefix keeps it present (`u` for a required user name, `d` for the log
 * driver, `t` for the build target, `/assets` for the asset path, `k` for keys).
 */
function deployConfig(slot: Slot, hooksPath: string): Record<string, unknown> {
  return {
    service: 'app',
    hooks_path: hooksPath,
    image: 'dhh/app',
    registry: { server: slot('registryServer'), username: `u${slot('registryUser')}`, password: ['REGISTRY_PASSWORD'] },
    servers: {
      web: {
        hosts: ['1.1.1.1'],
        options: { 'hostile-opt': slot('roleOption'), [`k${slot('roleOptionKey')}`]: true },
        labels: { hostile: slot('roleLabel'), [`k${slot('roleLabelKey')}`]: 'plain' },
        env: { clear: { HOSTILE_ROLE: slot('roleEnv') } },
      },
    },
    asset_path: `/assets${slot('assetPath')}`,
    env: { clear: { HOSTILE: slot('env'), [`k${slot('envKey')}`]: 'plain' } },
    labels: { 'hostile-root': slot('label') },
    volumes: [slot('volume')],
    logging: { driver: `d${slot('logDriver')}`, options: { hostile: slot('logOption'), [`k${slot('logOptionKey')}`]: 'plain' } },
    proxy: {
      hosts: [slot('proxyHost'), 'plain.example.com'],
      healthcheck: { path: slot('healthcheckPath') },
      logging: { request_headers: [slot('requestHeader'), 'X-Plain'], response_headers: [slot('responseHeader')] },
    },
    builder: {
      arch: 'amd64',
      args: { HOSTILE: slot('buildArg'), [`k${slot('buildArgKey')}`]: 'plain' },
      secrets: [slot('buildSecret')],
      dockerfile: slot('dockerfile'),
      target: `t${slot('target')}`,
      context: slot('context'),
    },
    accessories: {
      db: {
        image: 'mysql:8.0',
        host: '1.1.1.5',
        network: slot('accessoryNetwork'),
        port: `127.0.0.1:${slot('accessoryPort')}`,
        registry: { server: 'other.example.com', username: ['DB_REGISTRY_USER'], password: `p${slot('accessoryRegistryPassword')}` },
        env: { clear: { HOSTILE: slot('accessoryEnv'), [`k${slot('accessoryEnvKey')}`]: 'plain' } },
        labels: { hostile: slot('accessoryLabel') },
        options: { 'hostile-opt': slot('accessoryOption'), [`k${slot('accessoryOptionKey')}`]: true },
        volumes: [slot('accessoryVolume'), `$PWD/${slot('accessoryPwdVolume')}`],
        directories: [`d${slot('accessoryDirectory')}:/data`],
        proxy: {
          hosts: [slot('accessoryProxyHost')],
          healthcheck: { path: slot('accessoryHealthcheckPath') },
          logging: { request_headers: [slot('accessoryRequestHeader')], response_headers: [slot('accessoryResponseHeader')] },
        },
      },
    },
  };
}

// --- writing and loading the config -------------------------------------------------------------

/**
 * A YAML double-quoted scalar. Everything but printable ASCII is written as an escape, and so is
 * `<`: the loader runs ERB first, and `<%` in a deploy.yml is a tag, not data.
 */
function yamlString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f && char !== '<') out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** YAML in flow style (`{"key": "value", …}`), every string quoted by yamlString. */
function toYaml(data: unknown): string {
  if (typeof data === 'string') return yamlString(data);
  if (typeof data === 'number' || typeof data === 'boolean') return String(data);
  if (Array.isArray(data)) return `[${data.map(toYaml).join(', ')}]`;
  if (typeof data === 'object' && data !== null) {
    return `{${Object.entries(data).map(([key, item]) => `${yamlString(key)}: ${toYaml(item)}`).join(', ')}}`;
  }
  throw new Error(`cannot write ${String(data)} as YAML`);
}

function loadCase(slot: Slot, hooksPath: string, value: string): Config {
  writeFileSync(join(configDir, 'deploy.yml'), `# generated by builder-fuzz.test.ts\n${toYaml(deployConfig(slot, hooksPath))}\n`);
  try {
    return loadConfig({ cwd: configDir, configFile: 'deploy.yml', env: {} });
  } catch (error) {
    throw new Error(`the config with ${JSON.stringify(value)} does not load: ${String(error)}`);
  }
}

/**
 * A hooks_path per case (`.kamal/h<index>-<value>`), each a directory the hook test creates, so
 * `/` (it would nest directories) and `=` are replaced: in a first token without whitespace,
 * `/usr/bin/env` takes `a=b/pre-deploy` as a variable assignment and runs nothing — for Kamal
 * exactly as for Sextant. Cut to 60 characters to stay a valid file name.
 */
function hooksPathFor(index: number, value: string): string {
  return `.kamal/h${index}-${Array.from(value.replace(/[/=]/g, '_')).slice(0, 60).join('')}`;
}

// --- the commands -------------------------------------------------------------------------------

const COMMANDS = [
  'app docker run',
  'app kamal-proxy deploy',
  'app kamal-proxy stop',
  'accessory docker run',
  'accessory kamal-proxy deploy',
  'registry login',
  'accessory registry login',
  'docker buildx build',
] as const;

function buildCommands(config: Config, slot: Slot): Command[] {
  const web = config.roles.find((role) => role.name === 'web')!;
  const db = config.accessories.find((accessory) => accessory.name === 'db')!;
  const secrets = secretsFrom({ REGISTRY_PASSWORD: slot('registryPassword'), DB_REGISTRY_USER: slot('accessoryRegistryUser') });
  const commands = [
    appRun({ config, role: web, env: envFor(config, 'web', '1.1.1.1'), version: '999' }),
    deployToProxy({ config, role: web, version: '999', target: '0123456789ab' }),
    maintenance(web, { drainTimeout: 10, message: slot('maintenanceMessage') }),
    runAccessory(config, db),
    deployAccessoryToProxy({ config, accessory: db, target: '0123456789ab', version: '999' }),
    login({ registry: config.registry, secrets }),
    login({ registry: accessoryRegistry(config, db), secrets }),
    buildCommand({ config, kind: 'local', version: '999', dockerfileExists: true }),
  ];
  assert.is(commands.length, COMMANDS.length);
  return commands;
}

// --- running the lines --------------------------------------------------------------------------

const CHUNK_BYTES = 96 * 1024;

type LineResult = { readonly invocations: string[][]; readonly problem?: string };

/** One `<shell> -c` run of `lines`, each followed by a separator line: the docker argv lists per line. */
function runScript(shellPath: string, lines: readonly string[]): { groups: string[][][]; problem?: string } {
  const script = lines.map((line) => `${line}\nprintf '\\035\\0'\n`).join('');
  // stdin from /dev/null: on a socket (Node's default pipe) bash -c would read ~/.bashrc, as under rshd.
  const result = spawnSync(shellPath, ['-c', script], {
    cwd: hostDir, env: SHELL_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.is(result.error, undefined, `${shellPath} could not run`);
  const groups: string[][][] = [];
  let invocations: string[][] = [];
  let current: string[] = [];
  const tokens = result.stdout.split('\0');
  const unterminated = tokens.pop();
  for (const token of tokens) {
    if (token === RS) {
      invocations.push(current);
      current = [];
    } else if (token === GS) {
      if (current.length > 0) invocations.push([...current, '<cut short>']);
      groups.push(invocations);
      invocations = [];
      current = [];
    } else {
      current.push(token);
    }
  }
  const problems = [
    result.status !== 0 && `exit status ${result.status}`,
    result.stderr !== '' && `stderr ${JSON.stringify(result.stderr.slice(0, 300))}`,
    (unterminated !== '' || invocations.length > 0 || current.length > 0) && 'output after the last separator',
    groups.length !== lines.length && `${groups.length} separators for ${lines.length} lines`,
  ].filter((problem): problem is string => typeof problem === 'string');
  return problems.length === 0 ? { groups } : { groups, problem: problems.join('; ') };
}

/**
 * Runs each line with `<shell> -c` in `hostDir`, as the local runner and sshd do: lines are batched
 * under the kernel's 128 KiB limit for one argument; a batch that goes wrong (an error, a line
 * that swallows the next) is run again line by line to say which line it was.
 */
function runLines(shellPath: string, lines: readonly string[]): LineResult[] {
  const results: LineResult[] = [];
  let chunk: string[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    const batch = runScript(shellPath, chunk);
    if (batch.problem === undefined) {
      results.push(...batch.groups.map((invocations) => ({ invocations })));
    } else {
      for (const line of chunk) {
        const single = runScript(shellPath, [line]);
        results.push({ invocations: single.groups[0] ?? [], ...(single.problem !== undefined ? { problem: single.problem } : {}) });
      }
    }
    chunk = [];
    size = 0;
  };
  for (const line of lines) {
    const bytes = Buffer.byteLength(line) + 20;
    if (size + bytes > CHUNK_BYTES) flush();
    chunk.push(line);
    size += bytes;
  }
  flush();
  assert.is(results.length, lines.length, `${shellPath}: one result per line`);
  return results;
}

// --- expectations -------------------------------------------------------------------------------

/** What a control word holding `name`'s placeholder must read in the run with `value`; null: no word. */
function expectedWord(controlWord: string, name: SlotName, value: string): string | null {
  const text = slotText(name, value);
  const mark = placeholder(name);
  const put = (replacement: string) => controlWord.split(mark).join(replacement);
  switch (SLOTS[name] as Kind) {
    case 'value':
      return put(intended(text, true, SHELL_ENV));
    case 'secret':
      return put(intended(text, false, SHELL_ENV));
    case 'argument':
      return /^\s*$/.test(text) ? controlWord.split(`=${mark}`).join('') : put(intended(text, true, SHELL_ENV));
    case 'verbatim':
      return put(text) === '' ? null : put(text);
    case 'remotePath': {
      const arrived = text.startsWith('$PWD/') ? `${hostDir}/${text.slice('$PWD/'.length)}` : text;
      return put(arrived) === '' ? null : put(arrived);
    }
  }
}

function expectedArgv(control: readonly string[], value: string): string[] {
  const out: string[] = [];
  for (const controlWord of control) {
    let current: string | null = controlWord;
    for (const name of SLOT_NAMES) {
      if (current !== null && current.includes(placeholder(name))) current = expectedWord(current, name, value);
    }
    if (current !== null) out.push(current);
  }
  return out;
}

// --- the cases ----------------------------------------------------------------------------------

const values = generateValues({ seed: SEED, count: CASES, sentinelDir });

const controlSlot: Slot = placeholder;
const controlConfig = loadCase(controlSlot, '.kamal/hooks', 'the placeholders');
const controlLines = buildCommands(controlConfig, controlSlot).map((command) => render(command));

type Case = { readonly value: string; readonly config: Config; readonly lines: string[] };

const cases: Case[] = values.map((value, index) => {
  const slot: Slot = (name) => slotText(name, value);
  const config = loadCase(slot, hooksPathFor(index, value), value);
  return { value, config, lines: buildCommands(config, slot).map((command) => render(command)) };
});

test('the fixture carries each value into the config unchanged', () => {
  for (const { value, config } of cases) {
    const web = config.roles.find((role) => role.name === 'web')!;
    const db = config.accessories.find((accessory) => accessory.name === 'db')!;
    assert.equal(config.env.clear[0], ['HOSTILE', value]);
    assert.equal(config.env.clear[1], [`k${value}`, 'plain']);
    assert.equal(web.options[0], ['hostile-opt', value]);
    assert.equal(config.volumes, [value]);
    assert.equal(web.proxy?.hosts, [value, 'plain.example.com']);
    assert.equal(web.proxy?.healthcheck.path, value);
    assert.equal(config.builder.args[0], ['HOSTILE', value]);
    assert.equal(config.registry.username, { value: `u${value}` });
    assert.equal(db.volumes[0], value);
    assert.equal(db.proxy?.logging.responseHeaders, [value]);
    assert.ok(config.hooksPath.startsWith('.kamal/h'));
  }
});

let controlArgv: string[][] = [];

test('control run: every slot reaches a docker argument through dash and bash', () => {
  const dash = runLines('/bin/sh', controlLines);
  const bash = runLines('bash', controlLines);
  assert.equal(bash, dash);
  dash.forEach((result, index) => {
    assert.is(result.problem, undefined, `${COMMANDS[index]}: ${controlLines[index]}`);
    assert.is(result.invocations.length, 1, `${COMMANDS[index]}: one docker call`);
  });
  controlArgv = dash.map((result) => result.invocations[0]!);
  const words = controlArgv.flat();
  for (const name of SLOT_NAMES) assert.ok(words.some((word) => word.includes(placeholder(name))), `slot ${name} is not in any command`);
  // A few anchors, so the placeholders are known to sit in the intended arguments.
  const [run, proxyDeploy, , accessoryRun, , , , build] = controlArgv;
  assert.ok(run!.join(' ').includes(`--env HOSTILE=${placeholder('env')} --env k${placeholder('envKey')}=plain`), run!.join(' '));
  assert.ok(run!.join(' ').includes(`--volume ${placeholder('volume')}`));
  assert.ok(proxyDeploy!.includes(`--health-check-path=${placeholder('healthcheckPath')}`));
  assert.ok(accessoryRun!.includes(`${hostDir}/${placeholder('accessoryPwdVolume')}`));
  assert.ok(build!.join(' ').includes(`--build-arg HOSTILE=${placeholder('buildArg')}`));
});

function checkShell(shellPath: string): void {
  assert.is(controlArgv.length, COMMANDS.length, 'the control run ran first');
  resetSentinels();
  const results = runLines(shellPath, cases.flatMap((item) => item.lines));
  assert.equal(readdirSync(sentinelDir), [], 'a value executed a command');
  const failures: string[] = [];
  cases.forEach((item, caseIndex) => {
    item.lines.forEach((line, commandIndex) => {
      const got = results[caseIndex * COMMANDS.length + commandIndex]!;
      const want = [expectedArgv(controlArgv[commandIndex]!, item.value)];
      if (got.problem !== undefined || JSON.stringify(got.invocations) !== JSON.stringify(want)) {
        const problem = got.problem !== undefined ? ` (${got.problem})` : '';
        failures.push(`${COMMANDS[commandIndex]} with ${JSON.stringify(item.value)}${problem}\n  line: ${line}\n  want: ${JSON.stringify(want)}\n  got:  ${JSON.stringify(got.invocations)}`);
      }
    });
  });
  assert.is(failures.length, 0, `${failures.length} of ${cases.length * COMMANDS.length} commands differ:\n${failures.slice(0, 3).join('\n')}`);
}

test(`${CASES} values × ${COMMANDS.length} builders arrive intact through dash`, () => {
  checkShell('/bin/sh');
});

test('the same lines through bash', () => {
  checkShell('bash');
});

// Hooks: Kamal runs `/usr/bin/env <hooks_path>/<name>` locally with the KAMAL_* variables (and, for
// pre/post-deploy, the secrets) in the process environment; none of those values is rendered into
// the line. The one config value in the line is hooks_path. Run through the real LocalTransport,
// the hook must start and see every variable verbatim.
test('hooks: hooks_path is one word, hook variables arrive verbatim', async () => {
  resetSentinels();
  const hookProject = join(workDir, 'hooks');
  mkdirSync(hookProject);
  const transport = new LocalTransport({ cwd: hookProject, env: SHELL_ENV });
  const script = "#!/bin/sh\nprintf '%s\\0' \"$0\" \"$#\" \"$KAMAL_PERFORMER\" \"$KAMAL_HOSTS\" \"$KAMAL_ROLES\" \"$KAMAL_COMMAND\" \"$HOSTILE_SECRET\"\n";
  for (const [index, { value, config }] of cases.entries()) {
    const hooksPath = hooksPathFor(index, value);
    assert.is(config.hooksPath, hooksPath);
    mkdirSync(join(hookProject, hooksPath), { recursive: true });
    writeFileSync(join(hookProject, hooksPath, 'pre-deploy'), script, { mode: 0o755 });
    const variables = hookEnvironment({
      config, version: '999', recordedAt: '2025-01-01T00:00:00Z', performer: value, hosts: [value, '1.1.1.1'], roles: [value],
      command: value, lock: true, secrets: { HOSTILE_SECRET: value },
    });
    const command = hookCommand(config, 'pre-deploy');
    const result = await transport.exec(command, { check: false, env: variables, cwd: hookProject });
    const line = render(command);
    assert.is(result.stderr, '', line);
    assert.is(result.exitCode, 0, line);
    assert.equal(result.stdout.split('\0'), [`${hooksPath}/pre-deploy`, '0', value, `${value},1.1.1.1`, value, value, value, ''], line);
  }
  assert.equal(readdirSync(sentinelDir), [], 'a value executed a command');
});

test.after(() => {
  rmSync(sentinelDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

test.run();
