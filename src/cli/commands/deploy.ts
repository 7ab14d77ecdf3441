import type { Command } from 'commander';
import { rolesOn } from '../../config/index.ts';
import { deployPlan, type DeployCommand } from '../../engine/plan.ts';
import { runDeployment } from '../../engine/run.ts';
import { stepHandlers } from '../../engine/handlers.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import type { Project } from '../project.ts';

interface DeployOptions extends ServerCommandOptions {
  skipPush?: boolean;
}

// setup, deploy, redeploy and rollback all run the deployment machine; they differ in the stages
// of their plan.
export async function runDeploymentCommand(
  command: Command,
  ctx: CliContext,
  name: DeployCommand,
  options: DeployOptions,
  version?: string,
  kamalCommand: string = name,
): Promise<void> {
  const ok = await withSession(
    command,
    ctx.io,
    {
      ...options,
      kamalCommand,
      version,
      // A rollback's target exists (stopped) as a container on every app host.
      existingContainers: name === 'rollback' && version ? (project) => (host) => rollbackContainers(project, host, version) : undefined,
    },
    async (session) => {
      const { env } = session;
      const plan = deployPlan(env.config, env.selection, {
        runId: session.runId,
        command: name,
        version: env.version,
        skipPush: Boolean(options.skipPush),
        lockInherited: env.lockInherited,
      });
      session.store?.writePlan(plan);
      const output = await runDeployment({ plan, handlers: stepHandlers(env), bus: session.bus, store: session.store });
      return output.ok;
    },
  );
  if (!ok) throw new UserError(`${name} failed (see above); the run is kept in .kamal/runs/`);
}

function rollbackContainers(project: Project, host: string, version: string): string[] {
  return rolesOn(project.config.roles, host).map((role) => `${role.containerPrefix}-${version}`);
}

export function registerDeployCommands(program: Command, ctx: CliContext): void {
  const descriptions: Record<Exclude<DeployCommand, 'rollback' | 'boot'>, string> = {
    setup: 'Bootstrap servers, boot accessories, and deploy the app',
    deploy: 'Build and push the image, then deploy it to the servers with zero downtime',
    redeploy: 'Deploy without starting kamal-proxy or pruning (a lighter deploy)',
  };
  for (const [name, description] of Object.entries(descriptions) as Array<[DeployCommand, string]>) {
    serverCommandOptions(subcommand(program, name, ctx))
      .description(description)
      .option('-P, --skip-push', 'Use the image already in the registry instead of building and pushing one')
      .action((options: DeployOptions, command: Command) => runDeploymentCommand(command, ctx, name, options));
  }
  serverCommandOptions(subcommand(program, 'rollback <version>', ctx))
    .description('Roll back to VERSION, which must still exist as a container on the hosts')
    .action((version: string, options: DeployOptions, command: Command) => runDeploymentCommand(command, ctx, 'rollback', options, version));
}
