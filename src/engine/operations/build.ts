import * as builder from '../../commands/builder.ts';
import { argv, docker, raw } from '../../commands/command.ts';
import type { StepEnv } from '../context.ts';
import { buildAndPush } from '../steps/build.ts';
import { pull } from '../steps/server.ts';
import { on } from './runtime.ts';

// `sextant build …` (Kamal's cli/build.rb).

/** `output`: buildx's export type (`build push --output`), `registry` unless asked otherwise. */
export async function pushImage(env: StepEnv, options: { output?: string } = {}): Promise<void> {
  await buildAndPush(env, options);
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
