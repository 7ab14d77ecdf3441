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
import { makeProject, removeApp, sextant, type Project } from '../engine/project.ts';

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
    await removeApp(project, servers, serverShell);
    const first = await sextant(project, ['deploy', '--version', 'v1']);
    assert.is(first.code, 0, first.stdout + first.stderr);
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

/** Every server ends serving exactly one version, and no app container of another version runs there. */
export async function assertOneVersionEach(project: Project, expected: Record<string, string>): Promise<void> {
  for (const [server, version] of Object.entries(expected)) {
    assert.is(await servedVersion(server, project), version, `${server} serves ${version}`);
    const running = (await containers(server, project.service)).filter((c: ContainerInfo) => c.state === 'running' && c.labels.role === 'web');
    assert.equal(
      running.map((c) => c.name),
      [`${project.service}-web-${version}`],
      `${server}: only ${version} runs for web (have ${running.map((c) => c.name).join(', ')})`,
    );
  }
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
