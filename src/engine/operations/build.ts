import * as builder from '../../commands/builder.ts';
import { argv, docker, raw } from '../../commands/command.ts';
import type { StepEnv } from '../context.ts';
import { buildAndPush } from '../steps/build.ts';
import { audit, registryLogin } from '../steps/server.ts';
import { on } from './runtime.ts';

// `sextant build …` (Kamal's cli/build.rb).

export async function pushImage(env: StepEnv): Promise<void> {
  await buildAndPush(env);
}

// Login on the app hosts, then the pull: with several app hosts, first one host per registry
// mirror (to seed it), then the rest.
export async function pullImage(env: StepEnv): Promise<void> {
  const hosts = env.selection.appHosts;
  await on(env, hosts, (host) => registryLogin(env, host));
  const seeds = await mirrorSeedHosts(env, hosts);
  if (seeds.length > 0) {
    await pullOn(env, seeds);
    await pullOn(env, hosts.filter((host) => !seeds.includes(host)));
  } else {
    await pullOn(env, hosts);
  }
}

async function mirrorSeedHosts(env: StepEnv, hosts: string[]): Promise<string[]> {
  if (hosts.length < 2) return [];
  const firstHostOfMirror = new Map<string, string>();
  await on(env, hosts, async (host) => {
    const probe = await env.transport(host).exec(builder.firstMirror(), { check: false });
    if (probe.exitCode !== 0) {
      if (builder.NO_MIRROR_PATTERN.test(probe.stderr + probe.stdout)) return;
      await env.transport(host).exec(builder.firstMirror());
    }
    const mirror = probe.stdout.trim();
    if (mirror && !firstHostOfMirror.has(mirror)) firstHostOfMirror.set(mirror, host);
  });
  return [...firstHostOfMirror.values()];
}

async function pullOn(env: StepEnv, hosts: string[]): Promise<void> {
  await on(env, hosts, async (host) => {
    const t = env.transport(host);
    await audit(env, host, `Pulled image with version ${env.version}`);
    await t.exec(builder.removeImage(env.config, env.version), { check: false });
    await t.exec(builder.pullImage(env.config, env.version));
    await t.exec(builder.validateImage(env.config, env.version));
  });
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
