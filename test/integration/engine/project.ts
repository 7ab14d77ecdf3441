// A throwaway app project for deploying to the testbed: the example app's Dockerfile and handler,
// a deploy.yml for two (or more) servers with `web` behind kamal-proxy and `workers` without it,
// canary secrets, and hooks that record what they see.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestbedInfo } from '../../testbed/index.ts';

const repo = new URL('../../../', import.meta.url).pathname;

export const CANARIES = {
  KAMAL_REGISTRY_PASSWORD: '', // the testbed's real password, filled in by makeProject
  APP_SECRET: 'SEXTANT-CANARY-APP-SECRET-4b1d',
  WORKER_TOKEN: 'SEXTANT-CANARY-WORKER-TOKEN-77e0',
};

// A build argument's value: sent to the builder, shown redacted everywhere (as Kamal does).
export const BUILD_ARG_CANARY = 'SEXTANT-CANARY-BUILD-ARG-91c2';

export interface ProjectOptions {
  service: string;
  servers: string[];
  bootLimit?: number;
  withHooks?: boolean;
  retry?: { attempts: number; base_delay: number; max_delay: number };
}

export interface Project {
  dir: string;
  service: string;
  hookLog: string;
  cleanup(): void;
}

export function makeProject(testbed: TestbedInfo, options: ProjectOptions): Project {
  const dir = mkdtempSync(join(tmpdir(), `sextant-${options.service}-`));
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, '.kamal/hooks'), { recursive: true });
  cpSync(join(repo, 'examples/hello/app'), join(dir, 'app'), { recursive: true });
  writeFileSync(
    join(dir, 'Dockerfile'),
    readFileSync(join(repo, 'examples/hello/Dockerfile'), 'utf8'),
  );
  const [first, ...rest] = options.servers;
  const retry = options.retry ?? { attempts: 6, base_delay: 1, max_delay: 4 };
  writeFileSync(
    join(dir, 'config/deploy.yml'),
    `service: ${options.service}
image: sextant/${options.service}
servers:
  web:
${options.servers.map((s) => `    - ${s}`).join('\n')}
  workers:
    hosts:
${[first, ...rest].map((s) => `      - ${s}`).join('\n')}
    cmd: /app/serve.sh
    env:
      secret:
        - WORKER_TOKEN
proxy:
  host: ${options.service}.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
    timeout: 2
env:
  clear:
    GREETING: hello
  secret:
    - APP_SECRET
volumes:
  - /srv/faults:/faults:ro
registry:
  server: ${testbed.registry.host}
  username: ${testbed.registry.username}
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
  driver: docker
  context: .
  args:
    BUILD_CANARY: ${BUILD_ARG_CANARY}
ssh:
  user: root
  keys_only: true
  keys:
    - ${testbed.sshKeyPath}
deploy_timeout: 15
drain_timeout: 3
readiness_delay: 1
${options.bootLimit ? `boot:\n  limit: ${options.bootLimit}\n` : ''}x-sextant:
  retry:
    attempts: ${retry.attempts}
    base_delay: ${retry.base_delay}
    max_delay: ${retry.max_delay}
`,
  );
  const secrets = { ...CANARIES, KAMAL_REGISTRY_PASSWORD: testbed.registry.password };
  writeFileSync(join(dir, '.kamal/secrets'), Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const hookLog = join(dir, 'hooks.log');
  if (options.withHooks) {
    for (const hook of ['pre-connect', 'pre-deploy', 'pre-app-boot', 'post-app-boot', 'post-deploy']) {
      const file = join(dir, '.kamal/hooks', hook);
      // Records the hook's KAMAL_* variables, and echoes a secret to stdout to prove output is redacted.
      writeFileSync(file, `#!/bin/sh\necho "${hook} lock=$KAMAL_LOCK hosts=$KAMAL_HOSTS version=$KAMAL_VERSION runtime=$KAMAL_RUNTIME" >> ${hookLog}\necho "hook saw $APP_SECRET"\n`);
      chmodSync(file, 0o755);
    }
  }
  return { dir, service: options.service, hookLog, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Runs the real CLI as a user would, in the project; a process ended by a signal says which.
export function sextantProcess(project: Project, args: string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin/sextant.js'), ...args], {
      cwd: project.dir,
      env: { ...process.env, CI: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// The same, with a signal counted as exit code 1.
export async function sextant(project: Project, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await sextantProcess(project, args, env);
  return { code: code ?? 1, stdout, stderr };
}

export function runDirs(project: Project): string[] {
  const runs = join(project.dir, '.kamal/runs');
  try {
    return readdirSync(runs, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(runs, d.name)).sort();
  } catch {
    return [];
  }
}

// Leaves the testbed as it was: the project's containers, images and proxy services are removed.
export async function removeApp(project: Project, servers: string[], serverShell: (server: string, script: string) => Promise<string>): Promise<void> {
  const s = project.service;
  for (const server of servers) {
    await serverShell(
      server,
      `docker exec kamal-proxy kamal-proxy remove ${s}-web >/dev/null 2>&1; ids=$(docker ps -aq --filter label=service=${s}); [ -n "$ids" ] && docker rm -f $ids >/dev/null; rm -rf /root/.kamal/apps/${s} /root/.kamal/lock-${s}; true`,
    ).catch(() => '');
  }
}

// Runs the CLI with `--output json` and calls `onEvent` for each event as it arrives.
export function sextantStreaming(project: Project, args: string[], onEvent: (event: { type: string; [k: string]: unknown }) => void, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repo, 'bin/sextant.js'), ...args, '--output', 'json'], {
      cwd: project.dir,
      env: { ...process.env, CI: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          onEvent(JSON.parse(line));
        } catch {
          // not an event line
        }
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
