import * as auditor from '../../commands/auditor.ts';
import { firstMirror, NO_MIRROR_PATTERN, pullImage, removeImage, validateImage } from '../../commands/builder.ts';
import { createNetwork } from '../../commands/docker.ts';
import * as lock from '../../commands/lock.ts';
import { ensureAppsConfigDirectory, MINIMUM_PROXY_VERSION, proxyVersionProbe, startOrRunProxy } from '../../commands/proxy.ts';
import { pruneContainers, pruneImages } from '../../commands/prune.ts';
import { login, needsLogin } from '../../commands/registry.ts';
import { dockerInstalled, ensureRunDirectory, installDocker, superuser } from '../../commands/server.ts';
import { compareGemVersions, isGemVersion, proxyRunFor } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import { CommandFailed, RemoteError } from '../../remote/failures.ts';
import { inSequence } from '../../remote/sequence.ts';
import type { ExecResult, SequencedStep } from '../../remote/transport.ts';
import { openReverseTunnel } from '../../remote/tunnel.ts';
import { sshSettings } from '../session.ts';
import type { HostStage } from '../../../machines/plan.ts';
import type { StepEnv } from '../context.ts';
import { sendAhead, takeAhead } from './ahead.ts';
import { overlapping } from './overlap.ts';

// The server-level stages of a deployment, one host at a time. Each is safe to run again after a
// transient failure: it either checks before acting or its commands are idempotent.

export function auditLine(env: StepEnv, message: string, role?: string) {
  return auditor.record({ config: env.config, message, role, recordedAt: env.now(), performer: env.performer });
}

export async function audit(env: StepEnv, host: string, message: string, role?: string): Promise<void> {
  await env.transport(host).exec(auditLine(env, message, role));
}

const loginCommand = (env: StepEnv) => login({ registry: env.config.registry, secrets: (name) => env.secrets.get(name) });

export async function registryLogin(env: StepEnv, host: string): Promise<void> {
  if (!needsLogin(env.config.registry)) return;
  await env.transport(host).exec(loginCommand(env));
}

// build pull on one host, alone (`sextant build pull`) or as deploy's pull stage: login; with
// several app hosts, the host's first registry mirror; then a fresh pull checked for the service
// label. As Kamal does, each mirror is seeded by one host first: the first host to report a mirror
// pulls at once and the mirror's other hosts pull once that pull is over (done or failed). Kamal
// also holds every other pull until all probes and all seeds are done; here a host waits only
// for its own mirror's seed, which is already pulling, so no host can wait for one that never
// comes (a run resumed mid-pull, a host that failed before its probe).
// With `ride` prepare (deploy), the host's `mkdir -p .kamal` follows the pull in its round trip.
export async function pull(env: StepEnv, host: string, _attempt = 1, ride?: HostStage): Promise<void> {
  const local = env.config.registry.local;
  if (local === undefined || env.dryRun) return pullImageOn(env, host, ride);
  // Kamal 2.8's local registry: the server pulls from its own localhost:<port>, carried back here.
  const tunnel = await openReverseTunnel(sshSettings(env.config), host, local.port);
  try {
    await pullImageOn(env, host, ride);
  } finally {
    await tunnel.close();
  }
}

async function pullImageOn(env: StepEnv, host: string, ride?: HostStage): Promise<void> {
  const t = env.transport(host);
  // The mirror probe reads `docker info`, which the login does not change: both go out at once.
  const [, mirror] = await Promise.all([
    registryLogin(env, host),
    env.selection.appHosts.length > 1 ? firstRegistryMirror(env, host) : undefined,
  ]);
  const seed = mirror === undefined ? undefined : claimMirrorSeed(env, mirror, host);
  if (seed?.first) env.bus.emit('log', { level: 'info', host, message: `Pulling image on ${host} first, to seed its registry mirror`, at: Date.now() });
  if (seed && seed.host !== host) await seed.pulled;
  try {
    await overlapping(t, async (later) => {
      await later(auditLine(env, `Pulled image with version ${env.version}`));
      await sendAhead(
        env,
        host,
        ride === 'prepare' ? ride : undefined,
        [
          { command: removeImage(env.config, env.version), check: false },
          { command: pullImage(env.config, env.version) },
          { command: validateImage(env.config, env.version) },
        ],
        () => [{ command: ensureRunDirectory(env.config) }],
      );
    });
  } finally {
    if (seed?.host === host) seed.settle();
  }
}

// `docker info`'s first registry mirror; docker fails the template when there is none.
async function firstRegistryMirror(env: StepEnv, host: string): Promise<string | undefined> {
  const probe = await env.transport(host).exec(firstMirror(), { check: false });
  if (probe.exitCode !== 0) {
    if (NO_MIRROR_PATTERN.test(probe.stderr + probe.stdout)) return undefined;
    throw new CommandFailed(host, 'docker info', probe.exitCode, probe.stdout, probe.stderr, 'transient');
  }
  return probe.stdout.trim() || undefined;
}

interface MirrorSeed {
  host: string;
  pulled: Promise<void>;
  settle: () => void;
}

// Per run: registry mirror → the host that seeds it.
const mirrorSeeds = new WeakMap<StepEnv, Map<string, MirrorSeed>>();

function claimMirrorSeed(env: StepEnv, mirror: string, host: string): MirrorSeed & { first: boolean } {
  let seeds = mirrorSeeds.get(env);
  if (!seeds) mirrorSeeds.set(env, (seeds = new Map()));
  const claimed = seeds.get(mirror);
  if (claimed) return { ...claimed, first: false };
  let settle = () => {};
  const pulled = new Promise<void>((resolve) => (settle = resolve));
  const seed = { host, pulled, settle };
  seeds.set(mirror, seed);
  return { ...seed, first: true };
}

export async function prepare(env: StepEnv, host: string, attempt = 1): Promise<void> {
  const ahead = takeAhead(env, host, 'prepare', attempt);
  if (ahead) return void (await ahead);
  await env.transport(host).exec(ensureRunDirectory(env.config));
}

const LOCK_TAKEN = /cannot create directory/;
// How often a lock found and gone again before its details could be read is tried at once.
const LOCK_VANISHED_TRIES = 3;

export async function acquireLock(env: StepEnv, host: string, attempt: number): Promise<void> {
  const t = env.transport(host);
  // A retry after a dropped connection may find the lock this run already took.
  if (attempt > 1 && (await ownLockInPlace(env, host))) return;
  for (let tries = 1; ; tries++) {
    const result = await t.exec(
      lock.acquire({ config: env.config, message: env.lockMessage ?? lock.AUTOMATIC_LOCK_MESSAGE, version: env.lockVersion, lockedBy: env.lockedBy, at: env.now() }),
      { check: false },
    );
    if (result.exitCode === 0) return;
    if (!LOCK_TAKEN.test(result.stderr)) {
      throw new CommandFailed(host, 'lock acquire', result.exitCode, result.stdout, result.stderr, result.stderr ? 'permanent' : 'transient');
    }
    const status = await t.exec(lock.status(env.config), { check: false });
    // Released between the two commands (or taken and not yet described): try again at once.
    if (status.exitCode !== 0 && tries < LOCK_VANISHED_TRIES) continue;
    throw new RemoteError(`Deploy lock found. Run 'sextant lock help' for more information\n${status.stdout.trim()}`, 'permanent', host);
  }
}

async function ownLockInPlace(env: StepEnv, host: string): Promise<boolean> {
  const status = await env.transport(host).exec(lock.status(env.config), { check: false });
  return status.exitCode === 0 && status.stdout.includes(`Version: ${env.lockVersion}`) && status.stdout.includes(`Locked by: ${env.lockedBy}`);
}

export async function releaseLock(env: StepEnv, host: string, attempt: number): Promise<void> {
  const result = await env.transport(host).exec(lock.release(env.config), { check: false });
  // On a retry the first try may already have removed it.
  if (result.exitCode !== 0 && !(attempt > 1 && /No such file/.test(result.stderr))) {
    throw new CommandFailed(host, 'lock release', result.exitCode, result.stdout, result.stderr, 'permanent');
  }
}

// With `ride` proxy (a proxy host), the proxy's login and version probe follow in its round trip.
export async function network(env: StepEnv, host: string, _attempt = 1, ride?: HostStage): Promise<void> {
  const [result] = (await sendAhead(env, host, ride === 'proxy' ? ride : undefined, [{ command: createNetwork(), check: false }], () => proxyProbes(env))) as [ExecResult];
  if (result.exitCode !== 0 && !result.stderr.includes('already exists')) {
    throw new CommandFailed(host, 'docker network create kamal', result.exitCode, result.stdout, result.stderr, 'permanent');
  }
}

// proxy boot: login, refuse a kamal-proxy older than v0.9.0, then start the existing container
// or run a new one from the boot config files.
export async function proxyBoot(env: StepEnv, host: string, attempt = 1): Promise<void> {
  const t = env.transport(host);
  const ahead = takeAhead<ExecResult[]>(env, host, 'proxy', attempt);
  // The version probe only reads the proxy container: it goes out with the login.
  const probe = ahead
    ? ((await ahead).at(-1) as ExecResult)
    : (await Promise.all([registryLogin(env, host), t.exec(proxyVersionProbe(), { check: false })]))[1];
  const version = probe.stdout.trim();
  if (version && olderVersion(version, MINIMUM_PROXY_VERSION)) {
    throw new UserError(`kamal-proxy version ${version} is too old, run \`sextant proxy reboot\` in order to update to at least ${MINIMUM_PROXY_VERSION}`);
  }
  await inSequence(t, [{ command: ensureAppsConfigDirectory() }, { command: startOrRunProxy(proxyRunFor(env.config, host)) }]);
}


// The proxy's first commands, as they follow the network in one sequence: login, version probe.
function proxyProbes(env: StepEnv): SequencedStep[] {
  const login = needsLogin(env.config.registry) ? [{ command: loginCommand(env) }] : [];
  return [...login, { command: proxyVersionProbe(), check: false }];
}

// Kamal compares kamal-proxy tags as gem versions without the `v`; a tag that is no version at all
// (`latest`) makes Kamal crash, and is let through here.
function olderVersion(version: string, minimum: string): boolean {
  const [a, b] = [version.replace(/^v/, ''), minimum.replace(/^v/, '')];
  return isGemVersion(a) && compareGemVersions(a, b) < 0;
}

export async function prune(env: StepEnv, host: string, attempt = 1): Promise<void> {
  const ahead = takeAhead(env, host, 'prune', attempt);
  if (ahead) return void (await ahead);
  await inSequence(env.transport(host), pruneSequence(env));
}

// Containers are pruned before images (an image a pruned container held can then go). The audit
// lines go in the same sequence, each before its prune as Kamal sends them: one round trip for all.
export function pruneSequence(env: StepEnv): SequencedStep[] {
  return [
    { command: auditLine(env, 'Pruned containers') },
    { command: pruneContainers(env.config) },
    { command: auditLine(env, 'Pruned images') },
    ...pruneImages(env.config).map((command) => ({ command })),
  ];
}

// server bootstrap: Docker must be there; Sextant installs it only where Kamal would.
export async function bootstrap(env: StepEnv, host: string): Promise<void> {
  const t = env.transport(host);
  if ((await t.exec(dockerInstalled(), { check: false })).exitCode === 0) return;
  if ((await t.exec(superuser(), { check: false })).exitCode !== 0) {
    throw new UserError(`Docker is not installed on ${host} and can't be automatically installed without having root access and either \`wget\` or \`curl\`. Install Docker manually: https://docs.docker.com/engine/install/`);
  }
  await t.exec(installDocker());
}
