// Helpers for the run-record tests on the testbed: the CLI as a process that may be SIGKILLed, and
// what a finished deploy must have left on a server.
import http from 'node:http';
import * as assert from 'uvu/assert';
import { containers, serverShell } from './inspect.ts';
import type { Project, ProcessResult } from './project.ts';

export { sextantProcess, type ProcessResult } from './project.ts';

export const said = (r: ProcessResult) => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

// What the app answers on a server, through its kamal-proxy.
export function answer(server: string, hostHeader: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: server, port: 80, path: '/', headers: { Host: hostHeader }, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// After a deploy of `version`: per role exactly one running container, the new one; no container
// of the new version twice (renamed aside) or left created but never started; the lock is free.
export async function assertCleanlyOn(server: string, project: Project, version: string, roles = ['web', 'workers']): Promise<void> {
  const all = await containers(server, project.service);
  const show = all.map((c) => `${c.name}:${c.state}`).join(', ');
  for (const role of roles) {
    const running = all.filter((c) => c.labels.role === role && c.state === 'running').map((c) => c.name);
    assert.equal(running, [`${project.service}-${role}-${version}`], `${server}: only ${role} ${version} runs (${show})`);
  }
  assert.equal(all.filter((c) => c.name.includes(`-${version}_replaced_`)).map((c) => c.name), [], `${server}: no ${version} container was set aside (${show})`);
  assert.equal(all.filter((c) => c.state === 'created').map((c) => c.name), [], `${server}: no container left created but not started (${show})`);
  assert.is((await serverShell(server, `test -e /root/.kamal/lock-${project.service} && echo locked || echo free`)).trim(), 'free', `${server}: the lock is free`);
}

// JSON event lines of a `--format json` run.
export function events(stdout: string): Array<{ type: string; [k: string]: unknown }> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string });
}
