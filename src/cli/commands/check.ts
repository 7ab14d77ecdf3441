import { Option, type Command } from 'commander';
import { selectHosts } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import { checkJson, checkLine, failures, summaryLine } from '../check/render.ts';
import { runChecks } from '../check/run.ts';
import { globalOptions } from '../options.ts';
import { loadProject } from '../project.ts';
import { subcommand, type CliContext } from '../program.ts';

// A preflight in the spirit of Capistrano's deploy:check (Kamal has none): everything a deploy
// needs, looked at without changing anything, on this machine and each selected host.
export function registerCheckCommand(program: Command, ctx: CliContext): void {
  subcommand(program, 'check', ctx)
    .description('Check, changing nothing, that a deploy can run: SSH, Docker, disk, registry login, kamal-proxy, lock, clock, builder, secrets, hooks')
    .addOption(new Option('--format <format>', 'Output format: text, or json (one document)').choices(['text', 'json']).default('text'))
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const globals = globalOptions(command);
      const project = loadProject(globals, ctx.io);
      const selection = selectHosts(project.config, { hosts: globals.hosts, roles: globals.roles, primary: globals.primary });
      const text = options.format === 'text';
      const results = await runChecks({
        config: project.config,
        selection,
        cwd: ctx.io.cwd,
        env: ctx.io.env,
        secrets: () => project.secrets(),
        onResults: text ? (lines) => lines.forEach((r) => ctx.io.out(checkLine(r))) : undefined,
      });
      ctx.io.out(text ? summaryLine(results) : checkJson(results));
      const failed = failures(results).length;
      if (failed > 0) throw new UserError(`check: ${failed} problem${failed === 1 ? '' : 's'} found`);
    });
}
