// Shared by the testbed's integration tests: SSH with ssh2, HTTP from the root namespace, and the
// example app's image and deployment steps written the way Kamal 2.6.0 runs them.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'ssh2';
import { ensureTestbed } from '../../testbed/index.ts';
import type { TestbedInfo, TestbedServer, UpOptions } from '../../testbed/index.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const exampleDir = resolve(repoRoot, 'examples', 'hello');

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function connectSsh(tb: TestbedInfo, server: TestbedServer, options: { readyTimeout?: number } = {}): Promise<Client> {
  return new Promise((resolvePromise, reject) => {
    const client = new Client();
    client.on('ready', () => resolvePromise(client));
    client.on('error', reject);
    client.connect({
      host: server.ip,
      port: server.sshPort,
      username: server.sshUser,
      privateKey: readFileSync(tb.sshKeyPath),
      readyTimeout: options.readyTimeout ?? 10_000,
    });
  });
}

export function sshExec(client: Client, command: string, timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`ssh command timed out after ${timeoutMs} ms: ${command}`)), timeoutMs);
    client.exec(command, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      let stdout = '';
      let stderr = '';
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('close', (code: number | null) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });
  });
}

/** Brings the testbed up or fails the test file with the reason (nothing is skipped silently). */
export async function testbedOrExit(options: UpOptions = {}): Promise<TestbedInfo> {
  try {
    return await ensureTestbed(options);
  } catch (err) {
    console.error(`The testbed cannot start, so the testbed integration tests fail:\n${(err as Error).message}`);
    process.exit(1);
  }
}

/** Runs `command` on a server over a fresh SSH connection and closes it. */
export async function onServer(tb: TestbedInfo, server: TestbedServer, command: string, timeoutMs = 60_000): Promise<ExecResult> {
  const client = await connectSsh(tb, server);
  try {
    return await sshExec(client, command, timeoutMs);
  } finally {
    client.end();
  }
}

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Runs a local command (the deployer side) and returns its output; throws with stderr on failure. */
export function local(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd as string, args, { env: options.env ?? process.env, cwd: options.cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${argv.join(' ')} exited ${code}: ${err || out}`))));
    child.stdin.on('error', () => undefined); // commands that ignore stdin may exit before it is written
    child.stdin.end(options.input ?? '');
  });
}

export function exampleImage(tb: TestbedInfo, version: string): string {
  return `${tb.registry.host}/sextant/hello:${version}`;
}

/**
 * Builds the example app with buildx on the deployer's daemon and pushes it, as Kamal's build step
 * does with `builder.driver: docker` (a private DOCKER_CONFIG keeps ~/.docker untouched).
 */
export async function buildAndPushExample(tb: TestbedInfo, version: string, dockerConfig: string): Promise<void> {
  const env = { ...process.env, DOCKER_HOST: tb.deployer.dockerHost, DOCKER_CONFIG: dockerConfig };
  await local(['docker', 'login', tb.registry.host, '-u', tb.registry.username, '--password-stdin'], { env, input: tb.registry.password });
  const image = `${tb.registry.host}/sextant/hello`;
  await local(
    ['docker', 'buildx', 'build', '--output=type=registry', '--platform', 'linux/amd64', '-t', `${image}:${version}`, '-t', `${image}:latest`,
      '--label', 'service=hello', '--build-arg', `APP_VERSION=${version}`, '--file', 'Dockerfile', '.'],
    { env, cwd: exampleDir },
  );
}

/** Kamal 2.6.0's proxy boot (deploy step 18), byte for byte. */
export const KAMAL_PROXY_BOOT =
  'docker container start kamal-proxy || echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $(pwd)/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config';

/** The commands Kamal sends to boot the example on one host (login, pull, network, proxy, run, proxy deploy). */
export function kamalBootCommands(tb: TestbedInfo, server: TestbedServer, version: string): string[] {
  const image = exampleImage(tb, version);
  const name = `hello-web-${version}`;
  return [
    `docker login ${tb.registry.host} -u "${tb.registry.username}" -p "${tb.registry.password}"`,
    `docker pull ${image}`,
    `docker inspect -f '{{ .Config.Labels.service }}' ${image} | grep -x hello || (echo "Image ${image} is missing the 'service' label" && exit 1)`,
    '/usr/bin/env mkdir -p .kamal',
    'docker network inspect kamal > /dev/null 2>&1 || docker network create kamal',
    '/usr/bin/env mkdir -p .kamal/proxy/apps-config',
    KAMAL_PROXY_BOOT,
    `docker container ls --all --filter name=^${name}$ --quiet | xargs -r docker rm -f`,
    `docker run --detach --restart unless-stopped --name ${name} --network kamal --hostname ${server.ip}-0123456789ab -e KAMAL_CONTAINER_NAME="${name}" -e KAMAL_VERSION="${version}" --log-opt max-size="10m" --volume /srv/faults:/faults:ro --label service="hello" --label role="web" --label destination ${image}`,
    `docker exec kamal-proxy kamal-proxy deploy hello-web --target="$(docker container ls --all --filter name=^${name}$ --quiet):80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"`,
  ];
}

/** Runs Kamal's boot sequence for the example on a server, failing with the first command that fails. */
export async function bootExample(tb: TestbedInfo, server: TestbedServer, version: string): Promise<void> {
  const client = await connectSsh(tb, server);
  try {
    for (const command of kamalBootCommands(tb, server, version)) {
      const r = await sshExec(client, command);
      if (r.code !== 0) throw new Error(`on ${server.name}: \`${command.replace(tb.registry.password, '<pw>')}\` exited ${r.code}: ${(r.stderr || r.stdout).replace(tb.registry.password, '<pw>')}`);
    }
  } finally {
    client.end();
  }
}
