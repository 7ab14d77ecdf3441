import type { Command } from '../../commands/command.ts';
import { runOverSsh } from '../../commands/docker.ts';
import { dockerInstalled, exec as serverExec, installDocker, joinCommandWords, superuser } from '../../commands/server.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { audit } from '../steps/server.ts';
import { collect, hook, on, preConnect, withLock, type HostOutput } from './runtime.ts';

// `sextant server …` (Kamal's cli/server.rb).

// Docker on every selected host: installed where missing and possible (root, or sudo/su, plus
// curl or wget); the hosts where it is not possible are named together. Then `docker-setup`.
export async function bootstrapServers(env: StepEnv): Promise<void> {
  await withLock(env, async () => {
    const missing: string[] = [];
    await on(env, env.selection.hosts, async (host) => {
      const t = env.transport(host);
      if ((await t.exec(dockerInstalled(), { check: false })).exitCode === 0) return;
      if ((await t.exec(superuser(), { check: false })).exitCode === 0) {
        env.bus.emit('log', { level: 'info', host, message: `Missing Docker on ${host}. Installing…`, at: Date.now() });
        await t.exec(installDocker());
      } else {
        missing.push(host);
      }
    });
    if (missing.length > 0) {
      throw new UserError(
        `Docker is not installed on ${missing.join(', ')} and can't be automatically installed without having root access and either \`wget\` or \`curl\`. Install Docker manually: https://docs.docker.com/engine/install/`,
      );
    }
    await hook(env, 'docker-setup');
  });
}

export interface ServerExecRequest {
  command: string[];
  interactive?: boolean;
}

export type ServerExecResult = { kind: 'outputs'; outputs: HostOutput[] } | { kind: 'interactive'; host: string; command: Command };

export async function execOnServers(env: StepEnv, request: ServerExecRequest): Promise<ServerExecResult> {
  await preConnect(env);
  const command = joinCommandWords(request.command);
  if (command.trim() === '') throw new UserError('No command provided. You must specify a command to execute.');
  if (request.interactive) {
    const host = env.selection.primaryHost;
    if (!host) throw new UserError('No primary host to run the command on');
    return { kind: 'interactive', host, command: runOverSsh(env.config.ssh, host, serverExec(command)) };
  }
  const results = await collect(env, env.selection.hosts, async (host) => {
    const t = env.transport(host);
    await audit(env, host, `Executed cmd '${command}' on ${host}`);
    return (await t.exec(serverExec(command))).stdout;
  });
  return { kind: 'outputs', outputs: results.map(({ host, value }) => ({ host, output: value })) };
}
