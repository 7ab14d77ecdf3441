import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { hookCommand, hookEnvironment, hookFile } from '../commands/hook.ts';
import { UserError } from '../errors.ts';
import type { StepEnv } from './context.ts';

// Hooks that get the secrets in their environment (Kamal passes them to these two only).
const HOOKS_WITH_SECRETS = new Set(['pre-deploy', 'post-deploy']);

export interface HookRequest {
  name: string;
  hosts: string[];
  lock: boolean;
  runtime?: number;
}

/** Whether `runHook` would run this hook: hooks not skipped and its file there. */
export function hookWillRun(env: Pick<StepEnv, 'skipHooks' | 'config'>, name: string): boolean {
  return !env.skipHooks && existsSync(resolve(env.config.cwd, hookFile(env.config, name)));
}

// Runs `<hooks_path>/<name>` locally if it exists, with the KAMAL_* environment (a dry run's local
// runner only records it). Output is redacted before anyone sees it.
export async function runHook(env: StepEnv, request: HookRequest): Promise<void> {
  if (!hookWillRun(env, request.name)) return;
  const command = hookCommand(env.config, request.name);
  env.bus.emit('hook', { name: request.name, hosts: request.hosts, at: Date.now() });
  const variables = hookEnvironment({
    config: env.config,
    version: env.version,
    recordedAt: env.now(),
    performer: env.performer,
    hosts: request.hosts,
    roles: env.selection.specificRoles,
    command: env.command,
    lock: request.lock || env.lockInherited,
    runtime: request.runtime,
    secrets: HOOKS_WITH_SECRETS.has(request.name) ? env.secrets.toRecord() : undefined,
  });
  const result = await env.local.exec(command, { check: false, env: variables, cwd: env.config.cwd });
  if (result.exitCode !== 0) {
    const detail = env.secrets.redact(`${result.stdout}${result.stderr}`.trim());
    throw new UserError(`Hook \`${request.name}\` failed:\n${detail}`);
  }
}
