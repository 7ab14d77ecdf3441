// Shared by the fault matrix: a 3-server project with the watchdog and fleet settings a scenario
// needs, the load check, and what a run left on each server (the version each one serves, its
// app containers, the lock).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { faults, type TestbedInfo } from '../../testbed/index.ts';
import { containers, serverShell, type ContainerInfo } from '../engine/inspect.ts';
import { startLoad, type LoadResult } from '../engine/load.ts';
import { makeProject, removeApp, sextant, sextantStreaming, type CliResult, type Project } from '../engine/project.ts';

export interface FaultProjectOptions {
  service: string;
  servers: string[];
  retry?: { attempts: number; base_delay: number; max_delay: number };
  // Lines added under `x-sextant:` (indented two spaces already).
  sextant?: string;
}

export function makeFaultProject(testbed: TestbedInfo, options: FaultProjectOptions): Project {
  const project = makeProject(testbed, { service: options.service, servers: options.servers, retry: options.retry ?? { attempts: 3, base_delay: 1, max_delay: 2 } });
  if (options.sextant) appendFileSync(join(project.dir, 'config/deploy.yml'), options.sextant.endsWith('\n') ? options.sextant : `${options.sextant}\n`);
  return project;
}

// Every scenario starts from v1 deployed on its servers, and leaves no fault and no app behind.
export function startFromV1(test: Test, project: Project, servers: string[]): void {
  test.before(async () => {
    try {
      await removeApp(project, servers, serverShell);
      const first = await sextant(project, ['deploy', '--version', 'v1']);
      assert.is(first.code, 0, first.stdout + first.stderr);
    } catch (error) {
      // uvu swallows a failed hook's error (every test then fails with no message): show it.
      console.error('set-up failed:', error);
      throw error;
    }
  });
  test.after(async () => {
    for (const server of servers) await faults.clearAll(server);
    await removeApp(project, servers, serverShell);
    project.cleanup();
  });
}

export function setDeployYml(project: Project, edit: (text: string) => string): void {
  const file = join(project.dir, 'config/deploy.yml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

/** The body the app answers through kamal-proxy on that server (its version), or the error. */
export async function servedVersion(server: string, project: Project): Promise<string> {
  return (await serverShell(server, `wget -q -T 5 -O - --header 'Host: ${project.service}.test' http://127.0.0.1/ 2>&1 || echo unreachable`)).trim();
}

export async function lockState(primary: string, project: Project): Promise<'locked' | 'free'> {
  return (await serverShell(primary, `test -e /root/.kamal/lock-${project.service} && echo locked || echo free`)).trim() as 'locked' | 'free';
}

/**
 * Every server ends serving exactly one version, and no app container of another version runs
 * there (a new container that never went live counts: it is a stray).
 */
export async function assertOneVersionEach(project: Project, expected: Record<string, string>): Promise<void> {
  for (const [server, version] of Object.entries(expected)) {
    const served = await servedVersion(server, project);
    if (served !== version) assert.is(served, version, `${server} serves ${version}\n${await serverState(server, project)}`);
    const running = (await containers(server, project.service)).filter((c: ContainerInfo) => c.state === 'running');
    const names = running.map((c) => c.name);
    assert.equal(names.filter((n) => n.startsWith(`${project.service}-web-`)), [`${project.service}-web-${version}`], `${server}: only ${version} runs for web (have ${names.join(', ')})`);
    assert.equal(names.filter((n) => !n.endsWith(`-${version}`)), [], `${server}: no container of another version runs (have ${names.join(', ')})`);
  }
}

/** What a failed check shows of the server: its containers, kamal-proxy's routes and the audit log's end. */
async function serverState(server: string, project: Project): Promise<string> {
  const script = `docker ps -a --format '{{.Names}} {{.Status}} {{.ID}}'; docker exec kamal-proxy kamal-proxy list; tail -n 20 /root/.kamal/${project.service}-audit.log`;
  return (await serverShell(server, `{ ${script}; } 2>&1; true`).catch((error: unknown) => String(error))).trim();
}

/** The containers of a version on a server, whatever their state (a stray one fails the scenario). */
export async function containersOf(server: string, project: Project, version: string): Promise<ContainerInfo[]> {
  return (await containers(server, project.service)).filter((c) => c.name.endsWith(`-${version}`) || c.name.includes(`-${version}_replaced_`));
}

/** The load check: 20 req/s per server through kamal-proxy for the whole run. */
export function loadOn(servers: string[], project: Project): { stop(): Promise<LoadResult> } {
  return startLoad(servers, { rps: 20, maxSeconds: 300, hostHeader: `${project.service}.test` });
}

/** Failed requests against the servers that stayed on the old version. */
export function failuresOn(load: LoadResult, servers: string[]): string[] {
  return load.failures.filter((f) => servers.some((s) => f.startsWith(`${s}:`)));
}

export function eventsOfType<T>(events: Array<{ type: string }>, type: string): T[] {
  return events.filter((e) => e.type === type) as T[];
}

/** Measured times go to a file (the test runner shows a file's output only when it fails). */
export function recordTime(scenario: string, what: string, ms: number): void {
  appendFileSync(process.env.SEXTANT_FAULT_TIMES ?? join(tmpdir(), 'sextant-fault-times.log'), `${new Date().toISOString()} ${scenario}: ${what} ${(ms / 1000).toFixed(1)} s\n`);
}

export type RunEvent = { type: string; [k: string]: unknown };

/** A point of a deploy where a scenario strikes one host (`host`), recognised from the run's events. */
export interface DeployPoint {
  name: string;
  reached(event: RunEvent, host: string, service: string): boolean;
}

const commandOn = (pattern: (service: string) => RegExp) => (event: RunEvent, host: string, service: string) =>
  event.type === 'command.start' && event.host === host && pattern(service).test(String(event.line));
const stageStart = (stage: string) => (event: RunEvent) => event.type === 'stage.started' && event.stage === stage;

export const POINTS = {
  // The pull stage on that host begins with its `docker login`.
  login: { name: 'registry login', reached: (e: RunEvent, host: string) => e.type === 'host.stage.started' && e.host === host && e.stage === 'pull' },
  pull: { name: 'docker pull', reached: commandOn(() => /docker pull /) },
  boot: { name: 'boot', reached: stageStart('boot') },
  run: { name: 'docker run', reached: commandOn((service) => new RegExp(`docker run --detach .*--name ${service}-web-`)) },
  switch: { name: 'kamal-proxy switch', reached: commandOn((service) => new RegExp(`kamal-proxy deploy ${service}-web`)) },
  // tag, prune and unlock take about a second together: a fault from here meets the unlock.
  afterBoot: { name: 'after the boot (tag, prune, unlock)', reached: stageStart('tagLatest') },
  // A host prunes in the round trip of its tag (src/engine/plan.ts, rideAlong): both go together.
  tagAndPrune: { name: 'tag and prune', reached: stageStart('tagLatest') },
} satisfies Record<string, DeployPoint>;

export interface FaultedRun {
  result: CliResult;
  events: RunEvent[];
  /** When the point was reached (the fault started then), and when the run ended. */
  faultedAt: number;
  endedAt: number;
}

/**
 * Deploys `version`; the first time `point` is reached on `host`, `fault` starts (the run does not
 * wait for it). Returns once the run has ended and the fault's own course (an outage and its end)
 * is over.
 */
export async function deployWithFault(project: Project, version: string, point: DeployPoint, host: string, fault: () => Promise<unknown>, onEvent?: (event: RunEvent) => void): Promise<FaultedRun> {
  const events: RunEvent[] = [];
  let faultedAt = 0;
  let course: Promise<unknown> = Promise.resolve();
  let faultError: unknown;
  const result = await sextantStreaming(project, ['deploy', '--version', version], (event) => {
    events.push(event);
    onEvent?.(event);
    if (!faultedAt && point.reached(event, host, project.service)) {
      faultedAt = Date.now();
      course = fault().catch((error: unknown) => (faultError = error));
    }
  });
  const endedAt = Date.now();
  await course;
  if (faultError) throw faultError;
  assert.ok(faultedAt, `the fault was injected at the ${point.name} on ${host}`);
  return { result, events, faultedAt, endedAt };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fault that lasts `ms`, then is undone. */
export function outage(ms: number, start: () => Promise<unknown>, end: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    await start();
    await sleep(ms);
    await end();
  };
}

/** A server gone: its sshd stopped and every packet to port 22 answered with a reset. */
export async function serverGone(host: string): Promise<void> {
  await faults.stopSshd(host);
  await faults.resetSsh(host);
}

export async function serverBack(host: string): Promise<void> {
  await faults.clearSshFilters(host);
  await faults.startSshd(host);
}

/**
 * The versions of a file's scenarios: `serving` is what every server serves between scenarios
 * (v1 from startFromV1), `fresh()` names a version no deploy has used yet.
 */
export function versionTrack(): { serving: string; fresh(): string } {
  let made = 1;
  return {
    serving: 'v1',
    fresh: () => `v${++made}`,
  };
}

export const sameVersion = (servers: string[], version: string): Record<string, string> => Object.fromEntries(servers.map((s) => [s, version]));

/**
 * The way back after a failed run: the next deploy succeeds, and every server then serves its
 * version with no other version's container running (strays of the failed run stopped).
 */
export async function assertWayBack(project: Project, servers: string[], version: string): Promise<void> {
  const next = await sextant(project, ['deploy', '--version', version]);
  assert.is(next.code, 0, next.stdout.slice(-3000) + next.stderr);
  await assertOneVersionEach(project, sameVersion(servers, version));
}
