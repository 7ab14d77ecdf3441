import type { Command } from 'commander';
import type { StepEnv } from '../../engine/context.ts';
import * as ops from '../../engine/operations/index.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';
import { addLogOptions } from './app.ts';
import { confirmed } from './proxy.ts';

// `sextant accessory …`: Kamal's cli/accessory.rb. NAME may be `all` for boot, reboot, details
// and remove.

function inSession(command: Command, ctx: CliContext, options: ServerCommandOptions, body: (env: StepEnv) => Promise<void>): Promise<void> {
  return withSession(command, ctx.io, { ...options, kamalCommand: 'accessory' }, (session) => body(session.env));
}

export function registerAccessoryCommands(program: Command, ctx: CliContext): void {
  const accessory = subcommand(program, 'accessory', ctx).description('Manage accessories (db/redis/search)');
  const leaf = (nameAndArgs: string, description: string) => serverCommandOptions(subcommand(accessory, nameAndArgs, ctx)).description(description);
  const simple = (name: string, description: string, operation: (env: StepEnv, accessoryName: string) => Promise<void>) =>
    leaf(`${name} <name>`, description).action((accessoryName: string, options: ServerCommandOptions, command: Command) =>
      inSession(command, ctx, options, (env) => operation(env, accessoryName)),
    );

  simple('boot', 'Boot new accessory service on host (use NAME=all to boot all accessories)', ops.bootAccessory);
  simple('reboot', 'Reboot existing accessory on host (stop container, remove container, start new container; use NAME=all to boot all accessories)', ops.rebootAccessory);
  simple('start', 'Start existing accessory container on host', ops.startAccessory);
  simple('stop', 'Stop existing accessory container on host', ops.stopAccessory);
  simple('restart', 'Restart existing accessory container on host', ops.restartAccessory);

  leaf('details <name>', 'Show details about accessory on host (use NAME=all to show all accessories)').action(
    (name: string, options: ServerCommandOptions, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        for (const output of await ops.accessoryDetails(env, name)) {
          ops.writeHostOutputs((text) => ctx.io.out(text), [output], { type: `Accessory ${output.accessory}`, json: options.output === 'json' });
        }
      }),
  );

  leaf('exec <name> [cmd...]', 'Execute a custom command on servers within the accessory container (use --help to show options)')
    .option('-i, --interactive', 'Execute command over ssh for an interactive shell (use for console/bash)')
    .option('--reuse', 'Reuse currently running container instead of starting a new one')
    .action((name: string, cmd: string[], options: ServerCommandOptions & { interactive?: boolean; reuse?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const result = await ops.execAccessory(env, name, { command: cmd, interactive: options.interactive, reuse: options.reuse });
        if (result.kind === 'outputs') {
          ops.writeHostOutputs((text) => ctx.io.out(text), result.outputs, { json: options.output === 'json' });
        } else {
          const code = await ops.runInteractive(env, result.command);
          if (code !== 0) throw new UserError(`The interactive command on ${result.host} exited with ${code}`, code);
        }
      }),
    );

  addLogOptions(leaf('logs <name>', 'Show log lines from accessory on host (use --help to show options)')).action(
    (name: string, options: ServerCommandOptions & ops.AccessoryLogsRequest & { follow?: boolean }, command: Command) =>
      inSession(command, ctx, options, async (env) => {
        const request = { since: options.since, lines: options.lines, grep: options.grep, grepOptions: options.grepOptions, skipTimestamps: options.skipTimestamps };
        if (options.follow) {
          const code = await ops.runInteractive(env, ops.followAccessoryLogsCommand(env, name, request).command);
          if (code !== 0) throw new UserError(`Following the logs ended with exit code ${code}`, code);
        } else {
          // Kamal prints accessory logs without a host heading.
          for (const { host, output } of await ops.accessoryLogs(env, name, request)) {
            ctx.io.out(options.output === 'json' ? JSON.stringify({ type: 'output', kind: `Accessory ${name}`, host, output: output.trim() }) : output.trim());
          }
        }
      }),
  );

  leaf('remove <name>', 'Remove accessory container, image and data directory from host (use NAME=all to remove all accessories)')
    .option('-y, --confirmed', 'Proceed without confirmation question')
    .action(async (name: string, options: ServerCommandOptions & { confirmed?: boolean }, command: Command) => {
      const go = await confirmed(ctx, options, `This will remove all containers, images and data directories for ${name}. Are you sure?`);
      if (go) await inSession(command, ctx, options, (env) => ops.removeAccessory(env, name));
    });

  const hidden = (name: string, description: string, operation: (env: StepEnv, accessoryName: string) => Promise<void>) => {
    const command = simple(name, description, operation);
    (command as unknown as { _hidden: boolean })._hidden = true;
  };
  hidden('remove_container', 'Remove accessory container from host', ops.removeAccessoryContainer);
  hidden('remove_image', 'Remove accessory image from host', ops.removeAccessoryImage);
  hidden('remove_service_directory', 'Remove accessory directory used for uploaded files and data directories from host', ops.removeAccessoryServiceDirectory);
}
