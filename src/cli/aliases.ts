import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { shellSplit } from '../secrets/index.ts';
import type { CliIO } from './io.ts';
import { addGlobalOptions, normalizeArgv, type GlobalOptions } from './options.ts';
import { loadProject } from './project.ts';

// `aliases:` in config/deploy.yml, as Kamal 2.6.0 runs them (cli/alias/command.rb): a first word
// that is no built-in command is looked up in the config read with the -c/-d given on the line,
// and the alias's words replace it, followed by the rest of the line. So options after the alias
// name win over the alias's own (`console -r workers`). Built-in commands always win; the config
// check already refuses aliases named like Kamal's commands.

const MAX_EXPANSIONS = 16;

/** `argv` (through normalizeArgv) with a leading alias replaced by its command line. */
export function expandAliases(argv: string[], program: Command, io: CliIO): string[] {
  const seen: string[] = [];
  let current = argv;
  for (;;) {
    const at = commandIndex(current, program);
    if (at === undefined) return current;
    const name = current[at] as string;
    if (isBuiltIn(program, name)) return current;
    const rest = [...current.slice(0, at), ...current.slice(at + 1)];
    const command = aliasCommand(name, rest, io);
    if (command === undefined) return current;
    if (seen.includes(name) || seen.length >= MAX_EXPANSIONS) {
      throw new UserError(`Alias '${name}' leads back to itself (${[...seen, name].join(' → ')}); check aliases in the config`);
    }
    seen.push(name);
    let words: string[];
    try {
      words = shellSplit(command);
    } catch (error) {
      throw new UserError(`aliases/${name}: cannot split ${JSON.stringify(command)} into words: ${(error as Error).message}`);
    }
    if (words.length === 0) throw new UserError(`aliases/${name}: the alias has no command`);
    // Options typed before the alias name go after its words too, so they win the same way.
    current = [...normalizeArgv(words), ...rest];
  }
}

function isBuiltIn(program: Command, name: string): boolean {
  return name === 'help' || program.commands.some((command) => command.name() === name || command.aliases().includes(name));
}

// Index of the first word that is neither an option nor the value of a global option.
function commandIndex(argv: string[], program: Command): number | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') return index;
    const option = arg.includes('=') ? undefined : program.options.find((o) => o.long === arg || o.short === arg);
    if (option?.required) index++;
  }
  return undefined;
}

// The alias's command line from the config the rest of the line points at; undefined when there
// is no config file there (commander then reports the unknown command) or no such alias.
function aliasCommand(name: string, rest: string[], io: CliIO): string | undefined {
  const globals = globalsIn(rest);
  if (!existsSync(resolve(io.cwd, globals.configFile))) return undefined;
  return loadProject(globals, io).config.aliases[name];
}

// -c and -d (and the rest of the class options) as commander would read them from the line, every
// other option ignored.
function globalsIn(argv: string[]): GlobalOptions {
  const reader = addGlobalOptions(new Command().helpOption(false))
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action(() => {});
  try {
    reader.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
  }
  return reader.opts() as GlobalOptions;
}
