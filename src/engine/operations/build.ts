import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as builder from '../../commands/builder.ts';
import { argv, docker, raw } from '../../commands/command.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { buildAndPush } from '../steps/build.ts';
import { pull } from '../steps/server.ts';
import { on } from './runtime.ts';

// `sextant build …` (Kamal's cli/build.rb).

/** `output`: buildx's export type (`build push --output`), `registry` unless asked otherwise. */
export async function pushImage(env: StepEnv, options: { output?: string } = {}): Promise<void> {
  await buildAndPush(env, options);
}

// `build dev` (Kamal's cli/build.rb `dev`): build the working directory as it is, tags ending in
// `-dirty`, exported as `output` (docker: the local image store). No login, no hook, no clone, no
// builder check. First it warns about uncommitted and untracked files the build context holds.
export async function buildDev(env: StepEnv, options: { output?: string } = {}): Promise<void> {
  const { config, local } = env;
  const cwd = resolve(config.cwd);
  const check = await local.exec(builder.ensureLocalDockerInstalled(), { check: false });
  if (check.exitCode !== 0) {
    throw new UserError(/buildx/.test(check.stderr) ? 'Docker buildx plugin is not installed locally' : 'Docker is not installed locally');
  }
  const included = new Set(await filesInBuildContext(env, cwd));
  const warn = (title: string, files: string[]) => {
    if (files.length === 0) return;
    env.bus.emit('log', { level: 'warn', message: [title, ...files.sort().map((file) => `  ${file}`)].join('\n'), at: Date.now() });
  };
  warn('WARNING: Files with uncommitted changes will be present in the dev container:', gitFiles(cwd, '--modified').filter((file) => included.has(file)));
  warn('WARNING: Untracked files will be present in the dev container:', gitFiles(cwd, '--others').filter((file) => included.has(file)));

  const arch = env.dryRun ? 'amd64' : builder.dockerArch((await local.exec(docker('info', '--format', raw("'{{.Architecture}}'")), { check: false })).stdout.trim());
  const build = builder.buildCommand({
    config,
    kind: builder.builderKind(config, arch),
    version: env.version,
    output: options.output ?? 'docker',
    dirty: true,
    dockerfileExists: env.dryRun || existsSync(join(cwd, config.builder.dockerfile)),
  });
  const secrets = Object.fromEntries(config.builder.secrets.map((name) => [name, env.secrets.get(name)]));
  await local.exec(build, { cwd, env: secrets });
}

// Kamal::Docker.included_files: the files a `COPY . app` of the working directory would hold,
// listed by a throwaway image built from it. A dry run writes no Dockerfile.
async function filesInBuildContext(env: StepEnv, cwd: string): Promise<string[]> {
  const dir = env.dryRun ? join(tmpdir(), 'sextant-build-check') : mkdtempSync(join(tmpdir(), 'sextant-build-check-'));
  const dockerfile = join(dir, 'Dockerfile');
  try {
    if (!env.dryRun) writeFileSync(dockerfile, 'FROM busybox\nCOPY . app\nWORKDIR app\nCMD find . -type f | sed "s|^\\./||"\n');
    await env.local.exec(docker('buildx', 'build', '-t=kamal-local-build-check', `-f=${dockerfile}`, '.'), { cwd });
    const listed = await env.local.exec(docker('run', '--rm', 'kamal-local-build-check'));
    return listed.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  } finally {
    if (!env.dryRun) rmSync(dir, { recursive: true, force: true });
  }
}

// Kamal::Git.uncommitted_files (`--modified`) and untracked_files (`--others`); none outside git.
function gitFiles(cwd: string, which: '--modified' | '--others'): string[] {
  try {
    return execFileSync('git', ['ls-files', which], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

// Each app host pulls through the same step as deploy's pull stage (steps/server.ts `pull`), which
// seeds each registry mirror from one host first.
export async function pullImage(env: StepEnv): Promise<void> {
  await on(env, env.selection.appHosts, (host) => pull(env, host));
}

async function localArch(env: StepEnv): Promise<string> {
  if (env.dryRun) return 'amd64';
  const info = await env.local.exec(docker('info', '--format', raw("'{{.Architecture}}'")), { check: false });
  return builder.dockerArch(info.stdout.trim());
}

async function builderKind(env: StepEnv): Promise<builder.BuilderKind> {
  return builder.builderKind(env.config, await localArch(env));
}

export async function builderName(env: StepEnv): Promise<string> {
  return builder.builderName(env.config.builder, await builderKind(env));
}

// Creates the buildx builder. For an `ssh://` remote builder, Kamal first runs `true` on that host
// (here only when its user and port are the app servers' ones, the only login Sextant's
// SSH pool has). Returns the failure text when docker
// refused, as Kamal reports it without failing.
export async function createBuilder(env: StepEnv): Promise<string | undefined> {
  const arch = await localArch(env);
  const kind = builder.builderKind(env.config, arch);
  const remote = builder.remoteBuilderHost(env.config.builder);
  const sameLogin = remote && (remote.user ?? env.config.ssh.user) === env.config.ssh.user && (remote.port ?? env.config.ssh.port) === env.config.ssh.port;
  if (remote && sameLogin) await on(env, [remote.host], async (host) => void (await env.transport(host).exec(argv('true'))));
  const result = await env.local.exec(builder.createBuilder(env.config.builder, kind, arch), { check: false });
  if (result.exitCode === 0) return undefined;
  return `Couldn't create remote builder: ${env.secrets.redact((result.stderr || result.stdout).trim())}`;
}

export async function removeBuilder(env: StepEnv): Promise<void> {
  await env.local.exec(builder.removeBuilder(env.config.builder, await builderKind(env)));
}

export async function builderDetails(env: StepEnv): Promise<{ name: string; info: string }> {
  const kind = await builderKind(env);
  const info = await env.local.exec(builder.builderInfo(kind));
  return { name: builder.builderName(env.config.builder, kind), info: info.stdout };
}
