import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildCommand,
  buildDirectory,
  builderKind,
  CLONE_EXISTS_PATTERN,
  cloneDirectory,
  createBuilder,
  dockerArch,
  ensureLocalDockerInstalled,
  gitClone,
  gitCloneResetSteps,
  gitCloneRevision,
  gitCloneStatus,
  inspectBuilder,
  MISSING_BUILDER_PATTERN,
  removeBuilder,
  usesGitClone,
} from '../../commands/builder.ts';
import { docker, raw } from '../../commands/command.ts';
import { localRegistrySetup, login } from '../../commands/registry.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { gitRevision, gitRoot } from '../git.ts';
import { runHook } from '../hooks.ts';

// `build push` on the operator's machine, as Kamal 2.6.0 runs it before the lock: check Docker and
// buildx, log in, pre-build hook, clone the commit (unless builder.context is set), make sure the
// buildx builder exists, then build and push both tags.
export async function buildAndPush(env: StepEnv, options: { output?: string } = {}): Promise<void> {
  const { config, local } = env;
  const check = await local.exec(ensureLocalDockerInstalled(), { check: false });
  if (check.exitCode !== 0) {
    throw new UserError(/buildx/.test(check.stderr) ? 'Docker buildx plugin is not installed locally' : 'Docker is not installed locally');
  }
  // Kamal 2.8: a local registry is started (or created) on this machine's docker instead of a login.
  if (config.registry.local) await local.exec(localRegistrySetup(config.registry.local.port));
  else await local.exec(login({ registry: config.registry, secrets: (name) => env.secrets.get(name) }));
  await runHook(env, { name: 'pre-build', hosts: env.selection.hosts, lock: false });

  const root = gitRoot(resolve(config.cwd));
  const directory = usesGitClone(config.builder, root !== undefined) ? await prepareClone(env, root as string) : resolve(config.cwd);

  const arch = env.dryRun ? 'amd64' : dockerArch((await local.exec(docker('info', '--format', raw("'{{.Architecture}}'")), { check: false })).stdout.trim());
  const kind = builderKind(config, arch);
  const inspected = await local.exec(inspectBuilder(config.builder, kind), { check: false });
  const output = inspected.stdout + inspected.stderr;
  if (inspected.exitCode !== 0) {
    if (!MISSING_BUILDER_PATTERN.test(output)) throw new UserError(`Could not inspect the buildx builder:\n${env.secrets.redact(output.trim())}`);
    await local.exec(removeBuilder(config.builder, kind), { check: /no compatible builder/.test(output) });
    await local.exec(createBuilder(config.builder, kind, arch));
  }

  const buildSecrets = Object.fromEntries(config.builder.secrets.map((name) => [name, env.secrets.get(name)]));
  const build = buildCommand({
    config,
    kind,
    version: env.version,
    output: options.output,
    dockerfileExists: env.dryRun || existsSync(join(directory, config.builder.dockerfile)),
  });
  const result = await local.exec(build, { check: false, cwd: directory, env: buildSecrets });
  if (result.exitCode !== 0) {
    throw new UserError(`Build failed:\n${env.secrets.redact((result.stdout + result.stderr).trim().split('\n').slice(-20).join('\n'))}`);
  }
}

// Builds from a clean clone of HEAD in the temp folder, reusing it when it is already there. A dry
// run shows the clone and touches no file.
async function prepareClone(env: StepEnv, root: string): Promise<string> {
  const { local, config } = env;
  const pwd = resolve(config.cwd);
  const clone = cloneDirectory(tmpdir(), config.service, createHash('sha256').update(pwd).digest('hex'));
  const directory = buildDirectory(clone, root, pwd);
  if (env.dryRun) {
    await local.exec(gitClone({ gitRoot: root, cloneDirectory: clone }));
    return directory;
  }
  const revision = gitRevision(pwd) ?? '';
  const fresh = async () => {
    rmSync(clone, { recursive: true, force: true });
    mkdirSync(clone, { recursive: true });
    await local.exec(gitClone({ gitRoot: root, cloneDirectory: clone }));
  };
  mkdirSync(clone, { recursive: true });
  const cloned = await local.exec(gitClone({ gitRoot: root, cloneDirectory: clone }), { check: false });
  try {
    if (cloned.exitCode !== 0) {
      if (!CLONE_EXISTS_PATTERN.test(cloned.stderr)) throw new Error(cloned.stderr);
      for (const step of gitCloneResetSteps({ gitRoot: root, buildDirectory: directory, revision })) await local.exec(step);
    }
    const status = await local.exec(gitCloneStatus(directory));
    const head = await local.exec(gitCloneRevision(directory));
    if (status.stdout.trim() !== '' || head.stdout.trim() !== revision) throw new Error('clone is not at HEAD');
  } catch {
    await fresh();
  }
  return directory;
}

