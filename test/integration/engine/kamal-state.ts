// What Kamal 2.6.0 leaves on a server after deploying a version (KAMAL-FACTS §1), as assertions.
import * as assert from 'uvu/assert';
import { containers, proxyServices, serverDocker, serverShell } from './inspect.ts';
import type { Project } from './project.ts';

export async function assertDeployed(server: string, project: Project, version: string, registry: string, roles = ['web', 'workers']): Promise<void> {
  const s = project.service;
  const all = await containers(server, s);
  for (const role of roles) {
    const name = `${s}-${role}-${version}`;
    const c = all.find((x) => x.name === name);
    assert.ok(c, `${server}: container ${name} exists (have ${all.map((x) => `${x.name}:${x.state}`).join(', ')})`);
    assert.is(c!.state, 'running', `${server}: ${name} is running`);
    assert.equal({ service: c!.labels.service, role: c!.labels.role, destination: c!.labels.destination }, { service: s, role, destination: '' });
    assert.equal(c!.networks, ['kamal'], `${server}: ${name} is on the kamal network only`);
    assert.is(c!.image, `${registry}/sextant/${s}:${version}`);
    assert.ok(c!.env.includes(`KAMAL_CONTAINER_NAME=${name}`) && c!.env.includes(`KAMAL_VERSION=${version}`) && c!.env.includes('GREETING=hello'));
    // Only the new version runs per role.
    const running = all.filter((x) => x.labels.role === role && x.state === 'running').map((x) => x.name);
    assert.equal(running, [name], `${server}: only ${name} runs for ${role}`);
  }
  const envFiles = await serverShell(server, `stat -c '%a %n' /root/.kamal/apps/${s}/env/roles/*.env`);
  for (const role of roles) assert.match(envFiles, `600 /root/.kamal/apps/${s}/env/roles/${role}.env`);
  assert.match(await serverShell(server, `cat /root/.kamal/apps/${s}/env/roles/workers.env`), /^APP_SECRET=.+\nWORKER_TOKEN=.+\n$/);

  const proxy = await proxyServices(server);
  const webId = (await serverDocker(server, ['container', 'ls', '--all', '--filter', `name=^${s}-web-${version}$`, '--quiet'])).trim();
  assert.match(proxy, new RegExp(`${s}-web\\s+${s}\\.test\\s+/\\s+${webId}:80\\s+running`), `${server}: kamal-proxy routes ${s}.test to ${webId}:80\n${proxy}`);

  assert.is((await serverShell(server, `test -e /root/.kamal/lock-${s} && echo locked || echo free`)).trim(), 'free', 'the lock is released');
  const latest = (await serverDocker(server, ['image', 'inspect', '--format', '{{.Id}}', `${registry}/sextant/${s}:latest`])).trim();
  const current = (await serverDocker(server, ['image', 'inspect', '--format', '{{.Id}}', `${registry}/sextant/${s}:${version}`])).trim();
  assert.is(latest, current, `${server}: latest is ${version}`);
}

export async function auditLog(server: string, project: Project): Promise<string> {
  return serverShell(server, `cat /root/.kamal/${project.service}-audit.log`);
}

const LINE = String.raw`\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\] `;

export function assertAuditedDeploy(log: string, version: string, registry: string, service: string): void {
  for (const message of [
    `Pulled image with version ${version}`,
    `\\[web\\] Booted app version ${version}`,
    `\\[workers\\] Booted app version ${version}`,
    `Tagging ${registry.replace(/\./g, '\\.')}/sextant/${service}:${version} as the latest image`,
    'Pruned containers',
    'Pruned images',
  ]) {
    assert.match(log, new RegExp(`^${LINE}${message}$`, 'm'), `audit line "${message}"`);
  }
}
