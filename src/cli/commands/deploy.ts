import type { Command } from 'commander';
import { rolesOn } from '../../config/index.ts';
import { deployPlan, hostsToConnectEarly, type DeployCommand } from '../../engine/plan.ts';
import { hookWillRun } from '../../engine/hooks.ts';
import { connectInspector, inspectorUrl } from '../../engine/inspector.ts';
import { runRecorded } from '../../engine/recorded-run.ts';
import type { RunRequest } from '../../engine/run-record.ts';
import { stepHandlers } from '../../engine/handlers.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { addInspectOption, globalOptions, type GlobalOptions } from '../options.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { resumeRun } from './resume.ts';
import { addCanaryOptions, canaryAction, endCanary, runCanary, type CanaryOptions } from './canary.ts';
import { pickRollbackVersion } from './rollback-pick.ts';
import type { Project } from '../project.ts';

interface DeployOptions extends ServerCommandOptions {
  skipPush?: boolean;
  resume?: string;
  // --inspect (the default endpoint) or --inspect URL.
  inspect?: true | string;
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
  const inspectAt = options.inspect === undefined ? undefined : inspectorUrl(options.inspect);
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
      session.connectEarly(hostsToConnectEarly(plan, hookWillRun(env, 'pre-connect')));
      const request = runRequest(name, globalOptions(command), options, version);
      const inspector = inspectAt
        ? await connectInspector(inspectAt, {
            redact: (text) => env.secrets.redact(text),
            warn: (message) => session.bus.emit('log', { level: 'warn', message, at: Date.now() }),
          })
        : undefined;
      try {
        const output = await runRecorded({ session, plan, handlers: stepHandlers(env), kamalCommand, request, inspect: inspector?.inspect });
        return output.ok;
      } finally {
        await inspector?.close();
      }
    },
  );
  if (!ok) throw new UserError(`${name} failed (see above); the run is kept in .kamal/runs/`);
}

// What the run record keeps of the request, enough to run it again (`sextant resume`).
export function runRequest(name: DeployCommand, globals: GlobalOptions, options: DeployOptions, version?: string): RunRequest {
  const argv = [name === 'boot' ? 'app boot' : name, ...(version ? [version] : [])];
  if (globals.version) argv.push('--version', globals.version);
  if (globals.configFile !== 'config/deploy.yml') argv.push('-c', globals.configFile);
  if (globals.destination) argv.push('-d', globals.destination);
  if (globals.hosts) argv.push('-h', globals.hosts.join(','));
  if (globals.roles) argv.push('-r', globals.roles.join(','));
  if (globals.primary) argv.push('-p');
  if (options.skipPush) argv.push('-P');
  if (globals.skipHooks) argv.push('-H');
  return {
    argv,
    configFile: globals.configFile,
    ...(globals.destination ? { destination: globals.destination } : {}),
    ...(globals.hosts ? { hosts: globals.hosts } : {}),
    ...(globals.roles ? { roles: globals.roles } : {}),
    ...(globals.primary ? { primary: true } : {}),
    skipPush: Boolean(options.skipPush),
    skipHooks: Boolean(globals.skipHooks),
    ...(globals.version ? { declaredVersion: globals.version } : {}),
  };
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
    const deploy = addInspectOption(serverCommandOptions(subcommand(program, name, ctx)))
      .description(description)
      .option('-P, --skip-push', 'Use the image already in the registry instead of building and pushing one');
    if (name === 'deploy') deploy.option('--resume <run>', "Continue a killed or failed run (an id, a prefix of one, or 'last'), as `sextant resume RUN`");
    if (name === 'deploy') addCanaryOptions(deploy);
    deploy.action((options: DeployOptions & CanaryOptions, command: Command) => {
      const canary = name === 'deploy' ? canaryAction(options) : undefined;
      const requestOf = (words: string[]) => {
        const request = runRequest(name, globalOptions(command), options);
        return { ...request, argv: [...request.argv, ...words] };
      };
      if (canary === 'canary') return runCanary(command, ctx, options, requestOf);
      if (canary) return endCanary(command, ctx, options, canary, requestOf);
      return options.resume ? resumeRun(command, ctx, options.resume, options) : runDeploymentCommand(command, ctx, name, options);
    });
  }
  addInspectOption(serverCommandOptions(subcommand(program, 'rollback [version]', ctx)))
    .description('Roll back to VERSION, which must still exist as a container on the hosts (without VERSION: pick one from those there)')
    .action(async (version: string | undefined, options: DeployOptions, command: Command) =>
      runDeploymentCommand(command, ctx, 'rollback', options, version ?? (await pickRollbackVersion(command, ctx, options))),
    );
}
