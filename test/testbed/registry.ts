// The registry: Debian's docker-registry (distribution 2.8) on the bridge address, TLS with the
// testbed's CA and htpasswd (bcrypt) auth. Docker clients trust it through
// /etc/docker/certs.d/<host:port>/ca.crt, which every node has in its own /etc/docker.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { CGROUP_ROOT, paths, REGISTRY_HOST } from './layout.ts';
import { TestbedError, waitFor } from './exec.ts';
import { alive, readPid, spawnRootDaemon } from './namespaces.ts';
import { cgroupExists, createCgroup, killCgroup, removeCgroup } from './cgroups.ts';

export const REGISTRY_CGROUP = `${CGROUP_ROOT}/registry`;
const pidFile = () => `${paths.registryDir}/registry.pid`;

function config(): string {
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${paths.registryData}
  delete:
    enabled: true
http:
  addr: ${REGISTRY_HOST}
  tls:
    certificate: ${paths.registryCert}
    key: ${paths.registryKey}
auth:
  htpasswd:
    realm: sextant-testbed
    path: ${paths.registryHtpasswd}
`;
}

/** GET /v2/ over TLS with the testbed CA: 401 without credentials means the registry is serving. */
export function probeRegistry(timeoutMs = 1000): Promise<number | undefined> {
  const [host, port] = REGISTRY_HOST.split(':');
  return new Promise((resolve) => {
    const req = request(
      { host, port: Number(port), path: '/v2/', method: 'GET', ca: readFileSync(paths.caCert), timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export function registryRunning(): boolean {
  return alive(readPid(pidFile()));
}

export async function ensureRegistry(): Promise<void> {
  if (registryRunning() && (await probeRegistry()) === 401) return;
  await stopRegistry();
  mkdirSync(paths.registryData, { recursive: true });
  writeFileSync(paths.registryConfig, config());
  createCgroup(REGISTRY_CGROUP);
  const pid = spawnRootDaemon(REGISTRY_CGROUP, ['docker-registry', 'serve', paths.registryConfig], paths.registryLog);
  writeFileSync(pidFile(), String(pid));
  try {
    await waitFor('the registry to answer on https://' + REGISTRY_HOST, 10_000, async () => (await probeRegistry(500)) === 401, 50);
  } catch (err) {
    const log = existsSync(paths.registryLog) ? readFileSync(paths.registryLog, 'utf8').split('\n').slice(-10).join('\n') : '';
    throw new TestbedError(`${(err as Error).message}\nregistry log:\n${log}`);
  }
}

export async function stopRegistry(): Promise<void> {
  if (cgroupExists(REGISTRY_CGROUP)) {
    await killCgroup(REGISTRY_CGROUP);
    removeCgroup(REGISTRY_CGROUP);
  }
}
