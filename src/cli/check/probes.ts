// `sextant check`, the pure half: the read-only commands it sends to each host and what their
// output means (✔, or ✖ with the fix to try). Nothing here connects or runs anything.
import { argv, docker, raw, redirect, seq, value, word, type ArgvCommand, type Command } from '../../commands/command.ts';
import * as lock from '../../commands/lock.ts';
import { MINIMUM_PROXY_VERSION } from '../../commands/proxy.ts';
import { login } from '../../commands/registry.ts';
import { compareGemVersions, isGemVersion, type Config, type RegistryConfig } from '../../config/index.ts';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  /** A server, or `local` for the deployer's machine. */
  host: string;
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to try, on a failure. */
  fix?: string;
}

export interface Output {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Seconds a remote probe may take before `timeout` stops it (a hung dockerd must not hang check). */
export const PROBE_TIMEOUT_SECONDS = 15;
/** Less free space than this under Docker's data root fails the check: a pull would not fit. */
export const MIN_FREE_BYTES = 1024 ** 3;
/** A clock further off than this fails: registry tokens and TLS certificates are checked against it. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

const ok = (host: string, check: string, detail: string): CheckResult => ({ host, check, status: 'ok', detail });
const fail = (host: string, check: string, detail: string, fix: string): CheckResult => ({ host, check, status: 'fail', detail, fix });
export const skipped = (host: string, check: string, why: string): CheckResult => ({ host, check, status: 'skip', detail: `not checked: ${why}` });

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop() ?? '';
const timedOut = (out: Output) => out.exitCode === 124;

/** `timeout 15 <command>`: the probe gives up on the host's side. */
export function withTimeout(command: ArgvCommand): ArgvCommand {
  return argv('timeout', PROBE_TIMEOUT_SECONDS, ...command.words);
}

// --- ssh ------------------------------------------------------------------------------------------

export function sshOk(host: string, user: string, port: number, via?: string): CheckResult {
  return ok(host, 'ssh', `${user}@${host}:${port}${via ? ` via ${via}` : ''}`);
}

/** What a failed connection (ssh2's message) means, and what to try. */
export function sshFailure(host: string, user: string, port: number, message: string): CheckResult {
  const text = message.replace(/^\[[^\]]*\]\s*/, '');
  if (/ECONNREFUSED/.test(text)) return fail(host, 'ssh', `connection refused on port ${port}`, `start sshd on ${host}, or set ssh/port to the port it listens on`);
  if (/authentication methods failed|authentication/i.test(text)) {
    return fail(host, 'ssh', `${user} was refused: no key was accepted`, `add your public key to ~${user}/.ssh/authorized_keys on ${host}, or set ssh/user and ssh/keys`);
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return fail(host, 'ssh', `the host name ${host} does not resolve`, 'check the address under servers in config/deploy.yml');
  if (/timed? ?out|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/i.test(text)) {
    return fail(host, 'ssh', `no answer on port ${port} (${text})`, `check that ${host} is up and that a firewall lets port ${port} through`);
  }
  return fail(host, 'ssh', text, `run \`ssh -p ${port} ${user}@${host}\` to see what the server says`);
}

// --- docker ---------------------------------------------------------------------------------------

/** `docker --version`: the client is installed. */
export function dockerClientProbe(): ArgvCommand {
  return docker('--version');
}

export function dockerClient(host: string, out: Output): CheckResult {
  if (out.exitCode === 0) return ok(host, 'docker', out.stdout.trim());
  return fail(host, 'docker', 'Docker is not installed', host === 'local' ? 'install Docker (https://docs.docker.com/engine/install/)' : '`sextant server bootstrap` installs it (as root), or install Docker yourself');
}

/** `docker buildx version` (on the deployer). */
export function buildxProbe(): ArgvCommand {
  return docker('buildx', 'version');
}

export function buildx(out: Output): CheckResult {
  if (out.exitCode === 0) return ok('local', 'buildx', out.stdout.trim());
  return fail('local', 'buildx', 'the docker buildx plugin is not installed', 'install it (docker-buildx-plugin, or https://github.com/docker/buildx#installing)');
}

/** `timeout 15 docker info --format '{{.ServerVersion}} {{.DockerRootDir}}'`: the daemon answers this user. */
export function daemonProbe(): ArgvCommand {
  return withTimeout(docker('info', '--format', raw("'{{.ServerVersion}} {{.DockerRootDir}}'")));
}

export interface Daemon {
  version: string;
  rootDir: string;
}

/** The docker socket check: the user may use it, and the daemon answers. */
export function daemon(host: string, user: string, out: Output): { result: CheckResult; daemon?: Daemon } {
  const text = `${out.stderr}\n${out.stdout}`;
  const [version = '', ...rest] = out.stdout.trim().split(' ');
  if (out.exitCode === 0 && version) {
    return { result: ok(host, 'docker socket', `${user} can use the Docker daemon (${version})`), daemon: { version, rootDir: rest.join(' ') } };
  }
  if (/permission denied/i.test(text)) {
    return { result: fail(host, 'docker socket', `permission denied on the Docker socket for ${user}`, `add ${user} to the docker group on ${host} (\`usermod -aG docker ${user}\`, then log in again), or deploy as root`) };
  }
  if (timedOut(out)) {
    return { result: fail(host, 'docker socket', `the Docker daemon did not answer within ${PROBE_TIMEOUT_SECONDS} s`, `restart Docker on ${host} (\`systemctl restart docker\`)`) };
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running/i.test(text)) {
    return { result: fail(host, 'docker socket', 'the Docker daemon is not running', `start it on ${host} (\`systemctl start docker\`)`) };
  }
  return { result: fail(host, 'docker socket', lastLine(text) || `docker info exited ${out.exitCode}`, `run \`docker info\` on ${host} to see why`) };
}

// --- disk -----------------------------------------------------------------------------------------

/** `df -Pk <root>` (POSIX output: one line per file system, sizes in KiB). */
export function diskProbe(rootDir: string): ArgvCommand {
  return argv('df', '-Pk', value(rootDir));
}

export function disk(host: string, rootDir: string, out: Output): CheckResult {
  const fields = out.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  const availableKiB = Number(fields[3]);
  if (out.exitCode !== 0 || !Number.isFinite(availableKiB)) {
    return fail(host, 'disk', `could not read the free space under ${rootDir}: ${lastLine(out.stderr) || 'no df output'}`, `run \`df -h ${rootDir}\` on ${host}`);
  }
  const free = availableKiB * 1024;
  const detail = `${formatBytes(free)} free under ${rootDir}`;
  if (free < MIN_FREE_BYTES) return fail(host, 'disk', detail, `free some space on ${host}: \`sextant prune all\` removes old images and containers`);
  return ok(host, 'disk', detail);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size < 10 && unit > 0 ? size.toFixed(1) : Math.round(size)} ${units[unit]}`;
}

// --- registry -------------------------------------------------------------------------------------

/**
 * `docker --config <dir> login … 2>&1 ; rm -rf <dir>`: Kamal's login, with a throwaway client
 * config, so the host's own docker credentials are neither read nor written. `dir` is a fresh
 * path under /tmp (the caller makes it unique).
 */
export function registryLoginProbe(registry: RegistryConfig, secrets: (name: string) => string, dir: string): Command {
  const loginCommand = login({ registry, secrets });
  if (loginCommand.kind !== 'argv') throw new Error('docker login is expected to be a simple command');
  const [dockerWord, ...rest] = loginCommand.words;
  const withConfig: ArgvCommand = { kind: 'argv', words: [dockerWord!, word('--config'), word(dir), ...rest] };
  return seq(redirect(withTimeout(withConfig), '2>&1'), argv('rm', '-rf', dir));
}

export function registryLogin(host: string, registry: RegistryConfig, out: Output): CheckResult {
  const server = registry.server ?? 'Docker Hub';
  if (/Login Succeeded/.test(out.stdout)) return ok(host, 'registry login', `logged in to ${server} (throwaway credentials, removed)`);
  const text = out.stdout.replace(/^WARNING!.*\n?/gm, '').trim();
  if (/unauthorized|incorrect username or password|authentication required|denied/i.test(text)) {
    return fail(host, 'registry login', `${server} refused the credentials: ${lastLine(text)}`, 'check registry/username and the registry password secret in .kamal/secrets');
  }
  if (/timeout|timed out/i.test(text) || timedOut(out)) {
    return fail(host, 'registry login', `${server} did not answer from ${host}: ${lastLine(text) || 'timed out'}`, `check that ${host} can reach ${server} (DNS, firewall, proxy)`);
  }
  if (/x509|certificate/i.test(text)) {
    return fail(host, 'registry login', `TLS failed: ${lastLine(text)}`, `install the registry's CA on ${host} (/etc/docker/certs.d/${server}/ca.crt)`);
  }
  return fail(host, 'registry login', lastLine(text) || `docker login failed (exit ${out.exitCode})`, `try \`docker login ${server}\` on ${host}`);
}

// --- kamal-proxy ----------------------------------------------------------------------------------

/** `timeout 15 docker inspect kamal-proxy --format '{{.Config.Image}} {{.State.Status}}'` */
export function proxyProbe(): ArgvCommand {
  return withTimeout(docker('inspect', 'kamal-proxy', '--format', raw("'{{.Config.Image}} {{.State.Status}}'")));
}

export function proxy(host: string, out: Output): CheckResult {
  if (out.exitCode !== 0) {
    if (/No such object/i.test(out.stderr)) return ok(host, 'kamal-proxy', 'not there yet: the deploy boots it');
    return fail(host, 'kamal-proxy', lastLine(out.stderr) || `docker inspect exited ${out.exitCode}`, `run \`docker inspect kamal-proxy\` on ${host}`);
  }
  const [image = '', status = ''] = out.stdout.trim().split(' ');
  const tag = /:([^:/]+)$/.exec(image)?.[1] ?? '';
  const version = tag.replace(/^v/, '');
  const minimum = MINIMUM_PROXY_VERSION.replace(/^v/, '');
  if (isGemVersion(version) && compareGemVersions(version, minimum) < 0) {
    return fail(host, 'kamal-proxy', `${tag} is older than ${MINIMUM_PROXY_VERSION} (${image})`, '`sextant proxy reboot` replaces it with a current kamal-proxy');
  }
  const state = status === 'running' ? '' : ` (${status}: the deploy starts it)`;
  return ok(host, 'kamal-proxy', `${tag || image} ${isGemVersion(version) ? `≥ ${MINIMUM_PROXY_VERSION}` : '(not a version tag: not compared)'}${state}`);
}

// --- deploy lock ----------------------------------------------------------------------------------

/** Kamal's `lock status` command: `stat <dir> > /dev/null && cat <dir>/details | base64 -d`. */
export function lockProbe(config: Config): Command {
  return lock.status(config);
}

export function deployLock(host: string, config: Config, out: Output): CheckResult {
  if (out.exitCode === 0) {
    const details = out.stdout.trim().split('\n').join('; ');
    return fail(host, 'deploy lock', `held: ${details}`, 'wait for that deploy to finish; if nobody is deploying, `sextant lock release`');
  }
  if (/No such file/i.test(out.stderr)) return ok(host, 'deploy lock', `free (${lock.lockDir(config)})`);
  return fail(host, 'deploy lock', lastLine(out.stderr) || `lock status exited ${out.exitCode}`, `look at ${lock.lockDir(config)} on ${host}`);
}

// --- clock ----------------------------------------------------------------------------------------

/** `date -u +%s` */
export function clockProbe(): ArgvCommand {
  return argv('date', '-u', '+%s');
}

/** The host's clock against the deployer's: `sentAt`/`receivedAt` in ms bracket the probe. */
export function clock(host: string, out: Output, sentAt: number, receivedAt: number): CheckResult {
  const remote = Number(out.stdout.trim());
  if (out.exitCode !== 0 || !Number.isInteger(remote)) return fail(host, 'clock', `could not read the clock: ${lastLine(out.stderr) || out.stdout.trim()}`, `run \`date -u\` on ${host}`);
  // The host read its clock somewhere between sending and receiving; its whole-second reading
  // adds up to one more second of doubt.
  const middle = (sentAt + receivedAt) / 2000;
  const doubt = (receivedAt - sentAt) / 2000 + 1;
  const skew = remote + 0.5 - middle;
  const size = Math.max(0, Math.abs(skew) - doubt);
  const detail = size === 0 ? `within ${Math.ceil(doubt)} s of this machine` : `${Math.round(Math.abs(skew))} s ${skew > 0 ? 'ahead of' : 'behind'} this machine`;
  if (size > MAX_CLOCK_SKEW_SECONDS) return fail(host, 'clock', detail, `sync the clock on ${host} (NTP: \`timedatectl set-ntp true\`), or this machine's`);
  return ok(host, 'clock', detail);
}
