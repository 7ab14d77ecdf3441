// `sextant check`, the side-effect half: runs the read-only probes of probes.ts on this machine and,
// over SSH with the config's settings, on every selected host (all hosts at once). Nothing is
// written anywhere, except the registry login's throwaway client config, removed by the same command.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { docker, raw, type Command } from '../../commands/command.ts';
import { HOOK_NAMES, hookFile } from '../../commands/hook.ts';
import { toArgv } from '../../commands/shell.ts';
import { listSecretReferences, type Config, type Selection } from '../../config/index.ts';
import { SshPool } from '../../remote/ssh.ts';
import { sshSettings } from '../../engine/session.ts';
import type { Transport } from '../../remote/transport.ts';
import { secretsSource, undefinedSecrets, type Secrets } from '../../secrets/index.ts';
import * as probe from './probes.ts';
import type { CheckResult, Output } from './probes.ts';

export interface CheckRequest {
  config: Config;
  selection: Selection;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Loads the secrets files (may run their `$(…)` commands, as a deploy would). */
  secrets: () => Promise<Secrets>;
  /** Each host's lines as soon as they are known, in order: local first, then the hosts. */
  onResults?: (results: CheckResult[]) => void;
}

const LOCAL_TIMEOUT_MS = probe.PROBE_TIMEOUT_SECONDS * 1000;
const SSH_CONNECT_TIMEOUT_SECONDS = 10;

export async function runChecks(request: CheckRequest): Promise<CheckResult[]> {
  const all: CheckResult[] = [];
  const emit = (results: CheckResult[]) => {
    all.push(...results);
    request.onResults?.(results);
  };
  const { results: local, secrets } = await localChecks(request);
  emit(local);

  const { config, selection } = request;
  const pool = new SshPool({ ...sshSettings(config), connectTimeoutSeconds: SSH_CONNECT_TIMEOUT_SECONDS });
  try {
    const lockHost = selection.primaryHost;
    const hosts = lockHost && !selection.hosts.includes(lockHost) ? [...selection.hosts, lockHost] : selection.hosts;
    const runs = hosts.map((host) =>
      selection.hosts.includes(host) ? hostChecks(request, pool, host, secrets) : lockOnly(request, pool, host),
    );
    for (const run of runs) emit((await run).map((r) => redacted(r, secrets)));
  } finally {
    await pool.closeAll();
  }
  return all;
}

function redacted(result: CheckResult, secrets: Secrets | undefined): CheckResult {
  if (!secrets) return result;
  return { ...result, detail: secrets.redact(result.detail), ...(result.fix ? { fix: secrets.redact(result.fix) } : {}) };
}

// --- this machine ---------------------------------------------------------------------------------

export async function localChecks(request: CheckRequest): Promise<{ results: CheckResult[]; secrets?: Secrets }> {
  const { config } = request;
  const results: CheckResult[] = [];
  const dockerOut = await runLocal(probe.dockerClientProbe(), request);
  results.push(probe.dockerClient('local', dockerOut));
  if (dockerOut.exitCode === 0) {
    results.push(probe.buildx(await runLocal(probe.buildxProbe(), request)));
    results.push(...(await builderChecks(request)));
  } else {
    results.push(probe.skipped('local', 'buildx', 'Docker is not installed'), probe.skipped('local', 'builder', 'Docker is not installed'));
  }

  let secrets: Secrets | undefined;
  try {
    secrets = await request.secrets();
  } catch (error) {
    results.push({ host: 'local', check: 'secrets', status: 'fail', detail: (error as Error).message, fix: 'fix the secrets file named above; `sextant secrets print` shows what it gives' });
  }
  if (secrets) results.push(...secretChecks(config, secrets));
  results.push(...hookChecks(config));
  return { results, secrets };
}

async function builderChecks(request: CheckRequest): Promise<CheckResult[]> {
  const { builder } = request.config;
  const serverVersion = (host?: string) => docker(host ? ['-H', host] : [], 'version', '--format', raw("'{{.Server.Version}}'"));
  if (builder.driver.startsWith('cloud')) return [probe.skipped('local', 'builder', `a cloud builder (${builder.driver})`)];
  const results: CheckResult[] = [];
  if (builder.local) {
    const out = await runLocal(serverVersion(), request);
    results.push(
      out.exitCode === 0
        ? { host: 'local', check: 'builder', status: 'ok', detail: `the local Docker daemon answers (${out.stdout.trim()})` }
        : { host: 'local', check: 'builder', status: 'fail', detail: `the local Docker daemon does not answer: ${lastLine(out.stderr)}`, fix: 'start Docker on this machine (or set DOCKER_HOST)' },
    );
  }
  if (builder.remote) {
    const out = await runLocal(serverVersion(builder.remote), request);
    results.push(
      out.exitCode === 0
        ? { host: 'local', check: 'remote builder', status: 'ok', detail: `${builder.remote} answers (Docker ${out.stdout.trim()})` }
        : { host: 'local', check: 'remote builder', status: 'fail', detail: `${builder.remote} does not answer: ${lastLine(out.stderr)}`, fix: `try \`docker -H ${builder.remote} version\`` },
    );
  }
  return results;
}

function secretChecks(config: Config, secrets: Secrets): CheckResult[] {
  const missing = undefinedSecrets(config, secrets);
  if (missing.length > 0) {
    return missing.map(({ secret, keyPaths }) => ({
      host: 'local',
      check: 'secrets',
      status: 'fail' as const,
      detail: `'${secret}' (${keyPaths.join(', ')}) is not defined in ${secretsSource(secrets)}`,
      fix: `add ${secret}=… to ${secrets.files.at(-1) ?? '.kamal/secrets'} (from the environment or a password manager: see the comments in it)`,
    }));
  }
  const needed = new Set(listSecretReferences(config).map((ref) => ref.secret));
  const detail = needed.size === 0 ? 'the config needs none' : `${[...needed].join(', ')} defined (${secretsSource(secrets)})`;
  return [{ host: 'local', check: 'secrets', status: 'ok', detail }];
}

function hookChecks(config: Config): CheckResult[] {
  const present = HOOK_NAMES.map((name) => hookFile(config, name)).filter((file) => existsSync(resolve(config.cwd, file)));
  const notExecutable = present.filter((file) => {
    try {
      accessSync(resolve(config.cwd, file), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (notExecutable.length > 0) {
    return notExecutable.map((file) => ({ host: 'local', check: 'hooks', status: 'fail' as const, detail: `${file} is not executable`, fix: `chmod +x ${file}` }));
  }
  return [{ host: 'local', check: 'hooks', status: 'ok', detail: present.length === 0 ? `none in ${config.hooksPath} (samples are not run)` : `${present.join(', ')} executable` }];
}

function runLocal(command: Command, request: CheckRequest): Promise<Output> {
  const [file, ...args] = toArgv(command);
  return new Promise((done) => {
    execFile(file!, args, { cwd: request.cwd, env: request.env as NodeJS.ProcessEnv, timeout: LOCAL_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = (error as (NodeJS.ErrnoException & { code?: string | number }) | null)?.code;
      const exitCode = !error ? 0 : code === 'ENOENT' ? 127 : error.killed ? 124 : typeof code === 'number' ? code : 1;
      done({ exitCode, stdout, stderr: stderr || (error && !stdout ? error.message : '') });
    });
  });
}

// --- the servers ----------------------------------------------------------------------------------

const HOST_CHECKS = ['docker', 'docker socket', 'disk', 'registry login', 'kamal-proxy'];

async function hostChecks(request: CheckRequest, pool: SshPool, host: string, secrets: Secrets | undefined): Promise<CheckResult[]> {
  const { config } = request;
  const user = config.ssh.user;
  const isLockHost = request.selection.primaryHost === host;
  const later = [...HOST_CHECKS, ...(isLockHost ? ['deploy lock'] : []), 'clock'];
  const connected = await connect(pool, host, config.ssh);
  if (connected.status !== 'ok') return [connected, ...later.map((check) => probe.skipped(host, check, 'no SSH connection'))];

  const results: CheckResult[] = [connected];
  const t = pool.transport(host);
  try {
    results.push(probe.dockerClient(host, await run(t, probe.dockerClientProbe())));
    const { result, daemon } = probe.daemon(host, user, await run(t, probe.daemonProbe()));
    results.push(result);
    if (daemon) {
      results.push(probe.disk(host, daemon.rootDir, await run(t, probe.diskProbe(daemon.rootDir))));
      results.push(await registryCheck(t, host, config, secrets));
      const runsProxy = config.roles.some((role) => role.runsProxy && role.hosts.includes(host)) || config.accessories.some((a) => a.runsProxy && a.hosts.includes(host));
      results.push(runsProxy ? probe.proxy(host, await run(t, probe.proxyProbe())) : { host, check: 'kamal-proxy', status: 'ok', detail: 'not needed here (no role with the proxy)' });
    } else {
      for (const check of ['disk', 'registry login', 'kamal-proxy']) results.push(probe.skipped(host, check, 'the Docker daemon is not usable'));
    }
    if (isLockHost) results.push(probe.deployLock(host, config, await run(t, probe.lockProbe(config))));
    results.push(await clockCheck(t, host));
  } catch (error) {
    // The connection went away midway: what is left cannot be checked.
    const done = new Set(results.map((r) => r.check));
    results.push({ host, check: 'ssh', status: 'fail', detail: `connection lost: ${(error as Error).message}`, fix: `check the network to ${host}` });
    for (const check of later) if (!done.has(check)) results.push(probe.skipped(host, check, 'connection lost'));
  }
  return results;
}

async function lockOnly(request: CheckRequest, pool: SshPool, host: string): Promise<CheckResult[]> {
  const connected = await connect(pool, host, request.config.ssh);
  if (connected.status !== 'ok') return [connected, probe.skipped(host, 'deploy lock', 'no SSH connection')];
  return [connected, probe.deployLock(host, request.config, await run(pool.transport(host), probe.lockProbe(request.config)))];
}

async function connect(pool: SshPool, host: string, ssh: Config['ssh']): Promise<CheckResult> {
  try {
    await pool.client(host);
    return probe.sshOk(host, ssh.user, ssh.port, ssh.proxy);
  } catch (error) {
    return probe.sshFailure(host, ssh.user, ssh.port, (error as Error).message);
  }
}

function run(t: Transport, command: Command): Promise<Output> {
  return t.exec(command, { check: false });
}

async function registryCheck(t: Transport, host: string, config: Config, secrets: Secrets | undefined): Promise<CheckResult> {
  const { registry } = config;
  if (registry.local) return probe.skipped(host, 'registry login', `local registry ${registry.server ?? ''}: no login`);
  const needed = [registry.username, registry.password].flatMap((c) => (c && 'secret' in c ? [c.secret] : []));
  const unknown = needed.filter((name) => !secrets?.has(name));
  if (unknown.length > 0) return probe.skipped(host, 'registry login', `secret ${unknown.join(', ')} is not available (see [local] secrets)`);
  const dir = `/tmp/sextant-check-${randomBytes(8).toString('hex')}`;
  return probe.registryLogin(host, registry, await run(t, probe.registryLoginProbe(registry, (name) => secrets!.get(name), dir)));
}

async function clockCheck(t: Transport, host: string): Promise<CheckResult> {
  const sentAt = Date.now();
  const out = await run(t, probe.clockProbe());
  return probe.clock(host, out, sentAt, Date.now());
}

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop() ?? '';
