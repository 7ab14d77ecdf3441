import type { Command } from 'commander';
import * as ops from '../../engine/operations/index.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant build …`: Kamal's cli/build.rb.

export function registerBuildCommands(program: Command, ctx: CliContext): void {
  const build = subcommand(program, 'build', ctx).description('Build the app image and manage the builder');
  const leaf = (name: string, description: string) => serverCommandOptions(subcommand(build, name, ctx)).description(description);
  const inSession = (command: Command, options: ServerCommandOptions, body: Parameters<typeof withSession<void>>[3]) =>
    withSession(command, ctx.io, { ...options, kamalCommand: 'build' }, body);

  leaf('deliver', 'Build the image, push it to the registry and pull it onto the servers').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      await ops.pushImage(env);
      await ops.pullImage(env);
    }),
  );

  // On push and dev Kamal's `--output` is buildx's export type, not Sextant's event format (--format).
  serverCommandOptions(subcommand(build, 'push', ctx), { outputAlias: false })
    .description('Build the app image and upload it to the registry')
    .option('--output <export_type>', "Export type for the build result: any type 'docker buildx build --output' supports", 'registry')
    .action((options: ServerCommandOptions, command: Command) =>
      inSession(command, { ...options, output: undefined }, ({ env }) => ops.pushImage(env, { output: options.output })),
    );

  serverCommandOptions(subcommand(build, 'dev', ctx), { outputAlias: false })
    .description('Build the working directory as it is, tag it -dirty and load it into the local image store')
    .option('--output <export_type>', "Export type for the build result: any type 'docker buildx build --output' supports", 'docker')
    .action((options: ServerCommandOptions, command: Command) =>
      inSession(command, { ...options, output: undefined }, ({ env }) => ops.buildDev(env, { output: options.output })),
    );

  leaf('pull', 'Have the servers download the app image from the registry').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, ({ env }) => ops.pullImage(env)),
  );

  leaf('create', 'Set up the builder the config asks for').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      const problem = await ops.createBuilder(env);
      if (problem) ctx.io.err(problem);
    }),
  );

  leaf('remove', 'Tear down the builder').action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, ({ env }) => ops.removeBuilder(env)),
  );

  leaf('details', "Print the builder's name and configuration").action((options: ServerCommandOptions, command: Command) =>
    inSession(command, options, async ({ env }) => {
      const { name, info } = await ops.builderDetails(env);
      ctx.io.out(`Builder: ${name}`);
      ctx.io.out(info.trim());
    }),
  );
}
