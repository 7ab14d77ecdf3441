import type { Command, Option } from 'commander';

// Kamal's CLI (Thor) lets a boolean switch take an explicit value: `--publish false`,
// `--publish=false`, `--rolling true`, `-y f`. Thor reads true/TRUE/t/T and false/FALSE/f/F after
// a boolean switch as its value; any other word is left for the command. Commander only knows
// `--flag` and `--no-flag`, so such values are folded before parsing: a true value keeps the bare
// flag; a false value becomes `--no-flag` where the command defines it, and otherwise drops the
// flag (every other boolean switch defaults to false).

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'TRUE', 't', 'T']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'FALSE', 'f', 'F']);

function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((option) => option.long === flag || option.short === flag);
}

function isBoolean(option: Option): boolean {
  return !option.required && !option.optional && !option.negate;
}

function subcommandNamed(command: Command, name: string): Command | undefined {
  return command.commands.find((sub) => sub.name() === name || sub.aliases().includes(name));
}

/** `argv` (already through normalizeArgv) with Thor-style boolean values folded for `program`. */
export function foldBooleanValues(argv: string[], program: Command): string[] {
  const out: string[] = [];
  let current = program;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') {
      out.push(...argv.slice(index));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      const sub = subcommandNamed(current, arg);
      if (sub) current = sub;
      out.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const option = findOption(current, flag);
    if (!option) {
      out.push(arg);
      continue;
    }
    if (!isBoolean(option)) {
      out.push(arg);
      // A separate value belongs to the option: never read it as a subcommand or a switch.
      if (eq === -1 && option.required && index + 1 < argv.length) out.push(argv[++index] as string);
      continue;
    }
    const attached = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = argv[index + 1];
    const word = attached ?? (next !== undefined && (TRUE_WORDS.has(next) || FALSE_WORDS.has(next)) ? next : undefined);
    if (word === undefined || (!TRUE_WORDS.has(word) && !FALSE_WORDS.has(word))) {
      out.push(arg);
      continue;
    }
    if (attached === undefined) index++;
    if (TRUE_WORDS.has(word)) {
      out.push(flag);
    } else if (option.long && findOption(current, option.long.replace(/^--/, '--no-'))) {
      out.push(option.long.replace(/^--/, '--no-'));
    }
  }
  return out;
}
