// Kamal 2.8's local registry on the testbed: `registry: {server: localhost:5555}` and no login. The
// CLI runs where a developer's would, in the deployer's network namespace beside its docker: the
// build step starts `kamal-docker-registry` (registry:3) there and pushes to it, and each server
// pulls from its own localhost:5555 through an SSH reverse tunnel. The testbed's registry is
// blocked on every server for the whole deploy, so nothing can come from it.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { removeApp, type Project } from './project.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3);
const ips = servers.map((s) => s.ip);
const PORT = 5555;
const SERVICE = 'lreg';
const DEPLOYER_NETNS = '/var/lib/sextant-testbed/ns/deployer.net';
const dockerEnv = { ...process.env, DOCKER_HOST: testbed.deployer.dockerHost };

function exec(command: string, args: string[], env: NodeJS.ProcessEnv = dockerEnv, cwd?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

// registry:3 cannot come from Docker Hub: it is made from the testbed's own registry binary
// (Debian's docker-registry) on the testbed's busybox base, serving plain HTTP on :5000 like the
// upstream image.
async function ensureRegistryImage(): Promise<void> {
  if ((await exec('docker', ['image', 'inspect', 'registry:3'])).code === 0) return;
  const context = mkdtempSync(join(tmpdir(), 'sextant-registry-image-'));
  try {
    copyFileSync('/usr/bin/docker-registry', join(context, 'registry'));
    copyFileSync('/lib/x86_64-linux-gnu/libc.so.6', join(context, 'libc.so.6'));
    copyFileSync('/lib64/ld-linux-x86-64.so.2', join(context, 'ld-linux-x86-64.so.2'));
    writeFileSync(join(context, 'config.yml'), 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\n');
    writeFileSync(join(context, 'Dockerfile'), `FROM ${testbed.baseImage}
COPY libc.so.6 /lib/x86_64-linux-gnu/libc.so.6
COPY ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
COPY registry /bin/registry
COPY config.yml /etc/docker/registry/config.yml
EXPOSE 5000
CMD ["/bin/registry", "serve", "/etc/docker/registry/config.yml"]
`);
    const built = await exec('docker', ['build', '-q', '-t', 'registry:3', context], { ...dockerEnv, DOCKER_BUILDKIT: '0' });
    assert.is(built.code, 0, `building registry:3 failed:\n${built.out}`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

// The example app (examples/hello) with the local registry instead of the testbed's, its own
// service name and host so it does not meet the other tests' apps on the servers.
function makeLocalRegistryProject(): Project {
  const dir = mkdtempSync(join(tmpdir(), `sextant-${SERVICE}-`));
  cpSync(join(repo, 'examples/hello/app'), join(dir, 'app'), { recursive: true });
  copyFileSync(join(repo, 'examples/hello/Dockerfile'), join(dir, 'Dockerfile'));
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, '.kamal'));
  writeFileSync(join(dir, '.kamal/secrets'), '');
  const example = readFileSync(join(repo, 'examples/hello/config/deploy.yml'), 'utf8');
  const registry = /\nregistry:\n(?: {2}.*\n)+/;
  assert.match(example, registry);
  writeFileSync(
    join(dir, 'config/deploy.yml'),
    example
      .replace(/^service: hello$/m, `service: ${SERVICE}`)
      .replace(/^image: sextant\/hello$/m, `image: sextant/${SERVICE}`)
      .replace(/^proxy:\n/m, `proxy:\n  host: ${SERVICE}.test\n`)
      .replace(registry, `\nregistry:\n  server: localhost:${PORT}\n`),
  );
  return { dir, service: SERVICE, hookLog: join(dir, 'hooks.log'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const project = makeLocalRegistryProject();

// The CLI in the deployer's network namespace, so its 127.0.0.1 is the deployer docker's.
function sextantOnDeployer(args: string[]) {
  return exec('nsenter', [`--net=${DEPLOYER_NETNS}`, '--', process.execPath, join(repo, 'bin/sextant.js'), ...args], { ...dockerEnv, CI: 'true' }, project.dir);
}

async function removeLocalRegistry() {
  await exec('docker', ['rm', '-f', 'kamal-docker-registry']);
}

test.before(async () => {
  await removeApp(project, ips, serverShell);
  await removeLocalRegistry();
  await ensureRegistryImage();
  for (const server of servers) await faults.blockRegistry(server);
});

test.after(async () => {
  for (const server of servers) await faults.unblockRegistry(server);
  await removeApp(project, ips, serverShell);
  await removeLocalRegistry();
  project.cleanup();
});

test('the example app deploys through a local registry: no login, a registry container on the deployer, pulls through the tunnel', async () => {
  const result = await sextantOnDeployer(['deploy', '--version', 'lr1']);
  assert.is(result.code, 0, `deploy failed:\n${result.out}`);
  assert.not.match(result.out, /docker login/);
  assert.match(result.out, /docker start kamal-docker-registry \|\| docker run --detach -p 127\.0\.0\.1:5555:5000 --name kamal-docker-registry registry:3/);

  const registryContainer = await exec('docker', ['ps', '--filter', 'name=^kamal-docker-registry$', '--format', '{{.Image}} {{.Ports}}']);
  assert.match(registryContainer.out, /^registry:3 127\.0\.0\.1:5555->5000\/tcp/);

  for (const ip of ips) {
    const running = await serverShell(ip, `docker ps --filter label=service=${SERVICE} --filter status=running --format '{{.Image}}'`);
    assert.is(running.trim(), `localhost:${PORT}/sextant/${SERVICE}:lr1`, `${ip} runs the image pulled from the local registry`);
    const answer = await serverShell(ip, `wget -qO- --header 'Host: ${SERVICE}.test' http://127.0.0.1/ 2>&1 || true`);
    assert.match(answer, /lr1/, `${ip} serves the new version through kamal-proxy: ${answer}`);
    const listening = await serverShell(ip, `(ss -ltn 2>/dev/null || netstat -ltn) | grep -c ':${PORT} ' || true`);
    assert.is(listening.trim(), '0', `${ip}: the tunnel is closed after the pull`);
    const registries = await serverShell(ip, `docker ps --format '{{.Image}}' | grep -c registry || true`);
    assert.is(registries.trim(), '0', `${ip} runs no registry container`);
  }
});

test('a second deploy reuses the running registry container', async () => {
  const result = await sextantOnDeployer(['deploy', '--version', 'lr2']);
  assert.is(result.code, 0, `deploy failed:\n${result.out}`);
  for (const ip of ips) {
    const running = await serverShell(ip, `docker ps --filter label=service=${SERVICE} --filter status=running --format '{{.Image}}'`);
    assert.is(running.trim(), `localhost:${PORT}/sextant/${SERVICE}:lr2`);
  }
});

test.run();
