import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant build …`: Kamal's cli/build.rb.

export function registerBuildCommands(program: Command, ctx: CliContext): void {
  const build = subcommand(program, 'build', ctx).description('Build application image');
  const leaf = (name: string, description: string) => serverCommandOptions(subcommand(build, name, ctx)).description(description);
  const inSession = (command: Command, options: ServerCommandOptions, body: Parameters<typeof withSession<void>>[3]) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'build' }, body);

  leaf('deliver', 'Build app and push app image to registry then pull image on servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      await ops.pushImage(env);
      await ops.pullImage(env);
    }),
  );

  leaf('push', 'Build and push app image to registry').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, ({ env }) => ops.pushImage(env)),
  );

  leaf('pull', 'Pull app image from registry onto servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, ({ env }) => ops.pullImage(env)),
  );

  leaf('create', 'Create a build setup').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      const problem = await ops.createBuilder(env);
      if (problem) ctx.io.err(problem);
    }),
  );

  leaf('remove', 'Remove build setup').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, ({ env }) => ops.removeBuilder(env)),
  );

  leaf('details', 'Show build setup').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      const { name, info } = await ops.builderDetails(env);
      ctx.io.out(`Builder: ${name}`);
      ctx.io.out(info.trim());
    }),
  );
}
