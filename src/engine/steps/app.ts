import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as app from '../../commands/app.ts';
import { extractAssets, syncAssetVolumes, cleanUpAssets } from '../../commands/app-assets.ts';
import { envFileContent } from '../../commands/env-file.ts';
import { cleanUpErrorPages, createErrorPagesDirectory, errorPagesDirectory, isErrorPageFile } from '../../commands/error-pages.ts';
import { proxyList, proxyTargetOf } from '../../commands/proxy.ts';
import { envFor, rolesOn, type RoleConfig } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import { RemoteError } from '../../remote/failures.ts';
import { inSequence } from '../../remote/sequence.ts';
import type { ExecResult, SequencedStep } from '../../remote/transport.ts';
import type { HostStage } from '../../../machines/plan.ts';
import type { SwapStepInput, SwapStepOutput } from '../../../machines/role-swap.ts';
import type { StepEnv } from '../context.ts';
import { overlapping } from './overlap.ts';
import { audit, auditLine, pruneSequence } from './server.ts';
import { sendAhead, takeAhead } from './ahead.ts';

// The app's part of a deployment on one host: stale containers, assets and error pages, and the
// role swap (Kamal's cli/app/boot.rb), with Sextant's rollback when a new version fails.

export function roleNamed(env: StepEnv, name: string): RoleConfig {
  const role = env.config.roles.find((r) => r.name === name);
  if (!role) throw new UserError(`Unknown role ${name}`);
  return role;
}

export function selectedRolesOn(env: StepEnv, host: string): RoleConfig[] {
  const selected = env.config.roles.filter((role) => env.selection.roles.includes(role.name));
  return rolesOn(selected, host).sort((a, b) => Number(b.name === env.selection.primaryRole) - Number(a.name === env.selection.primaryRole));
}

/** The first non-empty line of a command's output, trimmed: how a probe's single answer is read. */
export const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() || undefined;

export async function currentVersion(env: StepEnv, host: string, role: RoleConfig): Promise<string | undefined> {
  return firstLine((await env.transport(host).exec(app.currentRunningVersion(env.config, role), { check: false })).stdout);
}

export async function containerId(env: StepEnv, host: string, role: RoleConfig, version: string): Promise<string | undefined> {
  return firstLine((await env.transport(host).exec(app.containerIdForVersion(env.config, role, version), { check: false })).stdout);
}

// Running containers of a role other than the current one are stopped before the boot.
export async function stopStaleContainers(env: StepEnv, host: string): Promise<void> {
  const t = env.transport(host);
  for (const role of selectedRolesOn(env, host)) {
    // Two probes that only read: sent together.
    const [listed, current] = await Promise.all([t.exec(app.listVersions(env.config, role), { check: false }), currentVersion(env, host, role)]);
    const versions = listed.stdout.split('\n').filter((v) => v.trim());
    for (const version of versions.filter((v) => v !== current)) {
      env.bus.emit('log', { level: 'info', host, message: `Stopping stale container for role ${role.name} with version ${version}`, at: Date.now() });
      await t.exec(app.appStop(env.config, role, version), { check: false });
    }
  }
}

// Error pages and assets go to every app host before any boot group starts.
export async function prepareAssets(env: StepEnv, host: string): Promise<void> {
  const t = env.transport(host);
  const pages = errorPages(env);
  if (pages) {
    await t.exec(createErrorPagesDirectory(env.config));
    await t.uploadDirectory(errorPagesDirectory(env.config), env.version, pages, 0o700);
  }
  for (const role of selectedRolesOn(env, host)) {
    if (role.assets) {
      await t.exec(extractAssets(env.config, role, env.version));
      await t.exec(syncAssetVolumes(env.config, role, env.version, await currentVersion(env, host, role)));
    }
    await writeCertificate(env, host, role);
  }
}

// Kamal 2.7: a role's custom certificate and key, from the secrets, where kamal-proxy reads them
// (0644 as Kamal writes them: kamal-proxy runs as its own user in the container).
async function writeCertificate(env: StepEnv, host: string, role: RoleConfig): Promise<void> {
  const certificate = role.proxy?.customCertificate;
  const mkdir = app.createTlsDirectory(role);
  if (!certificate || !mkdir) return;
  const t = env.transport(host);
  env.bus.emit('log', { level: 'info', host, message: `Writing SSL certificates for ${role.name} on ${host}`, at: Date.now() });
  await t.exec(mkdir);
  await t.upload(certificate.hostCertificate, env.secrets.get(certificate.certificateSecret), 0o644);
  await t.upload(certificate.hostPrivateKey, env.secrets.get(certificate.privateKeySecret), 0o644);
}

function errorPages(env: StepEnv): Record<string, string> | undefined {
  const path = env.config.errorPagesPath;
  if (!path) return undefined;
  const dir = resolve(env.config.cwd, path);
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir).filter(isErrorPageFile).sort();
  if (files.length === 0) return undefined;
  return Object.fromEntries(files.map((f) => [f, readFileSync(resolve(dir, f), 'utf8')]));
}

export async function checkRollbackContainers(env: StepEnv, host: string): Promise<void> {
  for (const role of selectedRolesOn(env, host)) {
    if (!(await containerId(env, host, role, env.version))) {
      throw new RemoteError(
        `The app version '${env.version}' is not available as a container (use 'sextant app containers' for available versions)`,
        'permanent',
        host,
      );
    }
  }
}

// With `ride` prune (deploy, setup), the host's prune follows its tag in the same round trip.
export async function tagLatest(env: StepEnv, host: string, _attempt = 1, ride?: HostStage): Promise<void> {
  await sendAhead(
    env,
    host,
    ride === 'prune' ? ride : undefined,
    [{ command: auditLine(env, `Tagging ${app.appImage(env.config, env.version)} as the latest image`) }, { command: app.tagLatestImage(env.config, env.version) }],
    () => pruneSequence(env),
  );
}

// --- the role swap -------------------------------------------------------------------------------

export async function swapStep(env: StepEnv, input: SwapStepInput): Promise<SwapStepOutput> {
  const role = roleNamed(env, input.role);
  switch (input.step) {
    case 'renameClash':
      return { oldVersion: await renameClashAndFindOld(env, input.host, role, input.version, input.startFollows === true, input.attempt) };
    case 'start':
      return { containerId: await startNewVersion(env, input.host, role, input.version, input.attempt) };
    case 'health':
      await waitUntilHealthy(env, input.host, role, input.version, input.containerId);
      return {};
    case 'stopOld':
      await stopOldVersion(env, input.host, role, input.version, input.oldVersion);
      return {};
    case 'rollback':
      await rollBack(env, input.host, role, input.version, input.oldVersion);
      return {};
  }
}

// A container of this very version already there is renamed out of the way, and the version
// running before the boot is noted (Kamal reads it after the rename). The clash probe is a frame
// that ends its batch when it finds a container (`stopsOnOutput`).
// With `startFollows` (the role starts right after this step) the start's audit line and commands
// follow the clash probe in its batch, and so run only when there is no clash: what the start step
// would send first thing, in its order; their answers are left for the start step (steps/ahead.ts).
// A deploy usually brings a version the servers have not run: there the running-version probe (it
// only reads) goes out beside that batch rather than in it, so that its docker time does not
// delay the start. If a clash turns up after all (the same version deployed again), the answer read
// beside it is still Kamal's: the rename changes only the clashing container's name, so the running
// version is the one read, with the clash's version replaced by its new name. A rollback or an
// `app boot` expects the clash: there the running version is read in the batch after the clash
// probe, or after the rename, in Kamal's order.
async function renameClashAndFindOld(env: StepEnv, host: string, role: RoleConfig, version: string, startFollows: boolean, attempt: number): Promise<string | undefined> {
  if (attempt > 1) await removeOwnStart(env, host, role, version);
  const start = startFollows ? startSequenceOrNone(env, host, role, version) : undefined;
  const next = start ? startOf(role) : undefined;
  const clashProbe = { command: app.containerIdForVersion(env.config, role, version), check: false, stopsOnOutput: true };
  const startSteps = () => [{ command: auditLine(env, `Booted app version ${version}`, role.name) }, ...(start ?? [])];
  if (!DEPLOYS_NEW_VERSIONS.has(env.command)) {
    const answers = await sendAhead(env, host, next, [clashProbe, { command: app.currentRunningVersion(env.config, role), check: false }], startSteps);
    if (answers.length === 2) return firstLine(answers[1]?.stdout ?? '');
    await renameClash(env, host, role, version);
    return currentVersion(env, host, role);
  }
  const [[clash], running] = await Promise.all([sendAhead(env, host, next, [clashProbe], startSteps), currentVersion(env, host, role)]);
  if (!firstLine(clash?.stdout ?? '')) return running;
  const renamed = await renameClash(env, host, role, version);
  return running === version ? renamed : running;
}

const DEPLOYS_NEW_VERSIONS = new Set(['deploy', 'redeploy', 'setup']);

const startOf = (role: RoleConfig) => `start ${role.name}` as const;

// A retried rename step (a resumed run's, or after a lost connection) may find the container its
// first try started behind the probes: this run's own, never handed to kamal-proxy (the health step
// comes later). Known by the hostname this run gives it, it is stopped and removed, so that the
// probes see the host as the first try did and do not take it for a clash to rename.
async function removeOwnStart(env: StepEnv, host: string, role: RoleConfig, version: string): Promise<void> {
  const t = env.transport(host);
  const named = firstLine((await t.exec(app.containerHostname(role, version), { check: false })).stdout);
  if (named !== app.appHostname(host, runHostnameHex(env, host, role, version))) return;
  env.bus.emit('log', { level: 'info', host, message: `Removing ${app.appContainerName(role, version)}, which an interrupted try of this run started`, at: Date.now() });
  await t.exec(app.appStop(env.config, role, version), { check: false });
  await t.exec(app.removeContainer(env.config, role, version));
}

// The new container's hostname ends in 12 hex digits (random in Kamal). A run with an id derives
// them from it, so a retry recognizes the container this run started.
function runHostnameHex(env: StepEnv, host: string, role: RoleConfig, version: string): string {
  if (!env.runId) return env.randomHex(6);
  return createHash('sha256').update(`${env.runId}\u0000${host}\u0000${role.name}\u0000${version}`).digest('hex').slice(0, 12);
}

async function renameClash(env: StepEnv, host: string, role: RoleConfig, version: string): Promise<string> {
  const renamed = app.replacedVersion(version, env.randomHex(8));
  env.bus.emit('log', { level: 'info', host, message: `Renaming container ${version} to ${renamed} as already deployed on ${host}`, at: Date.now() });
  const t = env.transport(host);
  await overlapping(t, async (later) => {
    await later(auditLine(env, `Renaming container ${version} to ${renamed}`, role.name));
    await t.exec(app.renameContainer(env.config, role, version, renamed));
  });
  return renamed;
}

// The start's commands after its audit line: the env folder, the env file and the run, in
// Kamal's order; for proxy roles the new container's id is read right after, for kamal-proxy.
// Throws when the role's env cannot be made (a missing env/tags entry).
function startSequence(env: StepEnv, host: string, role: RoleConfig, version: string): SequencedStep[] {
  const hostEnv = envFor(env.config, role.name, host);
  const content = envFileContent(hostEnv.secrets.map(([name, secret]) => [name, env.secrets.get(secret)] as const));
  const run = app.appRun({ config: env.config, role, env: hostEnv, version, hostname: app.appHostname(host, runHostnameHex(env, host, role, version)), host });
  return [
    { command: app.ensureEnvDirectory(env.config) },
    { upload: { path: role.envFilePath, content, mode: 0o600 } },
    { command: run },
    ...(role.runsProxy ? [{ command: app.containerIdForVersion(env.config, role, version), check: false }] : []),
  ];
}

// A start that cannot be prepared is not sent ahead: the start step then fails as it always has.
function startSequenceOrNone(env: StepEnv, host: string, role: RoleConfig, version: string): SequencedStep[] | undefined {
  try {
    return startSequence(env, host, role, version);
  } catch {
    return undefined;
  }
}

const idFromStart = (role: RoleConfig, results: ExecResult[]) => (role.runsProxy ? firstLine(results.at(-1)?.stdout ?? '') : undefined);

// Returns the new container's id for proxy roles: Kamal reads it right after `docker run` to give it
// to kamal-proxy, so it goes out with the run (one round trip) and the health step does not ask again.
async function startNewVersion(env: StepEnv, host: string, role: RoleConfig, version: string, attempt: number): Promise<string | undefined> {
  const t = env.transport(host);
  const ahead = takeAhead<ExecResult[]>(env, host, startOf(role), attempt);
  // Sent with the rename step's probes: the audit line, then the start's sequence.
  if (ahead) return idFromStart(role, (await ahead).slice(1));
  // A retry (after a dropped connection, or in a resumed run) may find the container the first try
  // created; a try killed halfway may have left it created but not started.
  if (attempt > 1 && (await containerId(env, host, role, version))) {
    await t.exec(app.appStart(env.config, role, version));
    return undefined;
  }
  return overlapping(t, async (later) => {
    await later(auditLine(env, `Booted app version ${version}`, role.name));
    let steps: SequencedStep[];
    try {
      steps = startSequence(env, host, role, version);
    } catch (error) {
      // Kamal makes the env folder before it reads the env: the mkdir still runs.
      await t.exec(app.ensureEnvDirectory(env.config));
      throw error;
    }
    // Over SSH one round trip (the file written by the remote shell), each step only once the one
    // before it has succeeded.
    return idFromStart(role, await inSequence(t, steps));
  });
}

async function waitUntilHealthy(env: StepEnv, host: string, role: RoleConfig, version: string, knownId?: string): Promise<void> {
  if (role.runsProxy) {
    const id = knownId ?? (await containerId(env, host, role, version));
    if (!id) throw new RemoteError(`Failed to get endpoint for ${role.name} on ${host}, did the container boot?`, 'permanent', host);
    await env.transport(host).exec(app.deployToProxy({ config: env.config, role, version, target: id }));
  } else {
    await pollUntilReady(env, host, role, version);
  }
}

// Roles without the proxy: `healthy` is ready; `running` is ready if still running after the
// readiness delay; anything else is polled again until deploy_timeout runs out.
async function pollUntilReady(env: StepEnv, host: string, role: RoleConfig, version: string): Promise<void> {
  const { deployTimeout, readinessDelay } = env.config;
  const status = async () => firstLine((await env.transport(host).exec(app.appStatus(env.config, role, version), { check: false })).stdout) ?? '';
  const deadline = Date.now() + deployTimeout * 1000;
  for (let attempt = 1; ; attempt++) {
    let state = await status();
    if (state === 'running' && readinessDelay > 0) {
      await env.sleep(readinessDelay * 1000);
      state = await status();
    }
    if (state === 'running' || state === 'healthy') return;
    const left = deadline - Date.now();
    if (left <= 0 || env.dryRun) {
      throw new RemoteError(`container not ready after ${deployTimeout} seconds (${state || 'missing'})`, 'permanent', host);
    }
    await env.sleep(Math.min(attempt * 1000, left));
  }
}

async function stopOldVersion(env: StepEnv, host: string, role: RoleConfig, version: string, oldVersion?: string): Promise<void> {
  if (!oldVersion) return;
  await inSequence(env.transport(host), [
    { command: app.appStop(env.config, role, oldVersion), check: false },
    ...(role.assets ? [{ command: cleanUpAssets(env.config, role, version) }] : []),
    ...(env.config.errorPagesPath ? [{ command: cleanUpErrorPages(env.config, version) }] : []),
  ]);
}

// The new version failed: keep what it printed for the operator, stop it, and make sure the
// previous container runs and (for proxy roles) is what kamal-proxy routes to. A failed health
// check never switches traffic, so the proxy is re-pointed only when it routes to the new one
// (a deploy whose answer was lost with the connection).
async function rollBack(env: StepEnv, host: string, role: RoleConfig, version: string, oldVersion?: string): Promise<void> {
  const t = env.transport(host);
  await audit(env, host, `Failed to boot app version ${version}, ${oldVersion ? `kept version ${oldVersion}` : 'no previous version to keep'}`, role.name);
  const newId = await containerId(env, host, role, version);
  if (newId) {
    const logs = await t.exec(app.appLogs(env.config, role, { containerId: app.containerIdForVersion(env.config, role, version), lines: 50 }), { check: false });
    if (logs.stdout.trim()) env.bus.emit('log', { level: 'error', host, message: `${role.name} ${version} logs:\n${env.secrets.redact(logs.stdout.trim())}`, at: Date.now() });
    await t.exec(app.appStop(env.config, role, version), { check: false });
  }
  if (!oldVersion) return;
  await t.exec(app.appStart(env.config, role, oldVersion), { check: false });
  if (!role.runsProxy) return;
  const target = proxyTargetOf((await t.exec(proxyList(), { check: false })).stdout, role.containerPrefix);
  const oldId = await containerId(env, host, role, oldVersion);
  const routesToNew = target === undefined || (newId !== undefined && target.startsWith(newId));
  if (oldId && routesToNew) await t.exec(app.deployToProxy({ config: env.config, role, version: oldVersion, target: oldId }));
}
