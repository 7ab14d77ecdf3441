import { CommanderError, type Command } from 'commander';
import { isUserError } from '../errors.ts';
import { expandAliases } from './aliases.ts';
import type { CliIO } from './io.ts';
import { normalizeArgv } from './options.ts';
import { buildProgram } from './program.ts';
import { foldBooleanValues } from './thor-booleans.ts';

// Runs one CLI invocation and returns its exit code. User errors print their message only;
// anything else is a bug, so its stack is kept.
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const program = await buildProgram({ io }, argv);
    await program.parseAsync(prepareArgv(argv, program, io), { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 1;
    }
    if (isUserError(error)) {
      io.err(`ERROR: ${error.message}`);
      return error.exitCode;
    }
    io.err(`ERROR (bug): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}

/** The words commander parses for `argv`: Thor spellings normalized, aliases expanded, Thor values (and `--lock-wait SECONDS`) folded. */
export function prepareArgv(argv: string[], program: Command, io: CliIO): string[] {
  return foldBooleanValues(expandAliases(normalizeArgv(argv), program, io), program);
}
