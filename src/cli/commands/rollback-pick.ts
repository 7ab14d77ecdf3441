import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { rollbackCandidates, chooseRollbackVersion, type RoleListing } from '../rollback-choice.ts';
import { listRoleContainersWithAge } from '../../commands/rollback.ts';
import * as ops from '../../engine/operations/index.ts';
import { selectedRolesOn } from '../../engine/steps/app.ts';
import { UserError } from '../../errors.ts';
import type { CliContext } from '../program.ts';
import { withSession, type ServerCommandOptions } from '../session.ts';

// `sextant rollback` without VERSION: read the containers on the selected app hosts (a session of
// its own, closed before the question), then ask which version to go back to.
export async function pickRollbackVersion(command: Command, ctx: CliContext, options: ServerCommandOptions): Promise<string> {
  if (options.dryRun) throw new UserError('rollback --dry-run needs a VERSION: a dry run connects to no host, so it cannot list the versions there');
  const listings = await withSession(command, ctx.io, { ...options, kamalCommand: 'rollback' }, async ({ env }) => {
    const found: RoleListing[] = [];
    const perHost = await ops.collect(env, env.selection.appHosts, async (host) =>
      Promise.all(
        selectedRolesOn(env, host).map(async (role) => ({
          host,
          role: role.name,
          prefix: role.containerPrefix,
          output: (await env.transport(host).exec(listRoleContainersWithAge(env.config, role))).stdout,
        })),
      ),
    );
    for (const { value } of perHost) found.push(...value);
    return found;
  });
  return chooseRollbackVersion({
    candidates: rollbackCandidates(listings),
    interactive: ctx.io.isTTY && Boolean(process.stdin.isTTY),
    ask: askLine,
    say: (text) => ctx.io.out(text),
  });
}

// One line from the terminal; undefined when input ends (Ctrl-D).
function askLine(question: string): Promise<string | undefined> {
  const readline = createInterface({ input: process.stdin, output: process.stdout });
  return new Promise<string | undefined>((resolve) => {
    let answered = false;
    readline.on('close', () => {
      if (!answered) resolve(undefined);
    });
    readline.question(question, (answer) => {
      answered = true;
      readline.close();
      resolve(answer);
    });
  });
}
