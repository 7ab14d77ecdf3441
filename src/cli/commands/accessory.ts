import type { Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { outputFormat, serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { addLogOptions } from './app.ts';
import { confirmed } from './proxy.ts';
import { addAccessoryUpgrade } from './upgrade.ts';

// `sextant accessory …`: Kamal's cli/accessory.rb. NAME may be `all` for boot, reboot, details
// and remove.

function inSession(command: Command, ctx: CliContext, options: ServerCommandOptions, body: (env: StepEnv) => Promise<void>): Promise<void> {
  return withSession(command, ctx.io, { ...options, kamalCommand: 'accessory' }, (session) => body(session.env));
}

export function registerAccessoryCommands(program: Command, ctx: CliContext): void {
  const accessory = subcommand(program, 'accessory', ctx).description('Control accessory services such as databases, Redis or search');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(accessory, nameAndArgs, ctx)).description(description);
  const simple = (name: string, description: string, operation: (env: StepEnv, accessoryName: string) => Promise<void>) =>
    leaf(`${name} <name>`, description).action((accessoryName: string, options: ServerCommandOptions, command: Command) =>
      inSession(command, ctx, options, (env) => operation(env, accessoryName)),
    );

  simple('boot', 'Start a new container for an accessory on its hosts (NAME=all for every accessory)', ops.bootAccessory);
  simple('reboot', "Replace an accessory's container: stop it, remove it, start a fresh one (NAME=all for every accessory)", ops.rebootAccessory);
  simple('start', "Start an accessory's stopped container on its hosts", ops.startAccessory);
  simple('stop', "Stop an accessory's running container on its hosts", ops.stopAccessory);
  simple('restart', 'Restart an accessory on its hosts without replacing its container', ops.restartAccessory);

  leaf('details <name>', "Print the state of an accessory's container on its hosts (NAME=all for every accessory)").action(
    (name: string, options: ServerCommandOptions, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        for (const output of await ops.accessoryDetails(env, name)) {
          ops.writeHostOutputs((text) => ctx.io.out(text), [output], { type: `Accessory ${output.accessory}`, json: outputFormat(options) === 'json' });
        }
      }),
  );

  leaf('exec <name> [cmd...]', 'Run a command in an accessory container on its hosts (--help lists the options)')
    .option('-i, --interactive', 'Attach your terminal to the command over ssh (for a console or bash)')
    .option('--reuse', 'Exec into the running container rather than starting a fresh one')
    .action((name: string, cmd: string[], options: ServerCommandOptions & { interactive?: boolean; reuse?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const result = await ops.execAccessory(env, name, { command: cmd, interactive: options.interactive, reuse: options.reuse });
        if (result.kind === 'outputs') {
          ops.writeHostOutputs((text) => ctx.io.out(text), result.outputs, { json: outputFormat(options) === 'json' });
        } else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      }),
    );

  addLogOptions(leaf('logs <name>', "Print an accessory's log output from its hosts (--help lists the options)")).action(
    (name: string, options: ServerCommandOptions & ops.AccessoryLogsRequest & { follow?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const request = { since: options.since, lines: options.lines, grep: options.grep, grepOptions: options.grepOptions, skipTimestamps: options.skipTimestamps };
        if (options.follow) {
          const code = await ops.runInteractive(env, ops.followAccessoryLogsCommand(env, name, request).command);
          if (code !== 0) throw new UserError(`Following the logs ended with exit code ${code}`, code);
        } else {
          // Kamal prints accessory logs without a host heading.
          for (const { host, output } of await ops.accessoryLogs(env, name, request)) {
            ctx.io.out(outputFormat(options) === 'json' ? JSON.stringify({ type: 'output', kind: `Accessory ${name}`, host, output: output.trim() }) : output.trim());
          }
        }
      }),
  );

  leaf('remove <name>', 'Tear down an accessory on its hosts: container, image and data directory (NAME=all for every accessory)')
    .option('-y, --confirmed', "Don't ask for confirmation")
    .action(async (name: string, options: ServerCommandOptions & { confirmed?: boolean }, command: Command) => {
      const go = await confirmed(ctx, options, `This will remove all containers, images and data directories for ${name}. Are you sure?`);
      if (go) await inSession(command, ctx, options, (env) => ops.removeAccessory(env, name));
    });

  const hidden = (name: string, description: string, operation: (env: StepEnv, accessoryName: string) => Promise<void>) => {
    const command = simple(name, description, operation);
    (command as unknown as { _hidden: boolean })._hidden = true;
  };
  hidden('remove_container', "Delete an accessory's container on its hosts", ops.removeAccessoryContainer);
  hidden('remove_image', "Delete an accessory's image on its hosts", ops.removeAccessoryImage);
  hidden('remove_service_directory', "Delete an accessory's service directory (uploaded files and data directories) on its hosts", ops.removeAccessoryServiceDirectory);
  hidden('upload', "Upload an accessory's files to its hosts", ops.uploadAccessory);
  hidden('directories', "Create an accessory's directories on its hosts", ops.accessoryDirectories);
  addAccessoryUpgrade(accessory, ctx);
}
