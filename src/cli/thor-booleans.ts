import type { Command, Option } from 'commander';
import { UserError } from '../errors.ts';

// Kamal's CLI (Thor) lets a boolean switch take an explicit value: `--publish false`,
// `--publish=false`, `--rolling true`, `-y f`. Thor reads true/TRUE/t/T and false/FALSE/f/F after
// a boolean switch as its value; any other word is left for the command. Commander only knows
// `--flag` and `--no-flag`, so such values are folded before parsing: a true value keeps the bare
// flag; a false value becomes `--no-flag` where the command defines it, and otherwise drops the
// flag (every other boolean switch defaults to false).
//
// Thor's array options (`type: :array`, here the variadic ones: `--docker-options <…...>`) take
// every following token up to the next one that looks like a switch (/^-{1,2}\S+/), also after an
// attached value (`--docker_options=sysctl=a label=b` is two values), and a repeated flag replaces
// the earlier values. Commander stops after an attached value and appends on repeats, so each
// value is handed over as its own `--flag=value`, only for the last occurrence.

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'TRUE', 't', 'T']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'FALSE', 'f', 'F']);
// Thor's Arguments#current_is_value? ends an array at a token like this (`-` alone is a value).
const THOR_SWITCH = /^-{1,2}\S+/;
// Kamal 2.12's --lock-wait is a switch (its wait is --lock-wait-timeout). Sextant also reads the
// seconds given with it, as that switch plus `--lock-wait-timeout N`: `--lock-wait=N` always, and
// `--lock-wait N` where the command takes no arguments. Where it does (`rollback --lock-wait 123`),
// the word after the bare switch is the command's, as Thor leaves it.
const SECONDS = /^\d+(\.\d+)?$/;

function findOption(command: Command, flag: string): Option | undefined {
  return command.options.find((option) => option.long === flag || option.short === flag);
}

function isBoolean(option: Option): boolean {
  return !option.required && !option.optional && !option.negate;
}

function subcommandNamed(command: Command, name: string): Command | undefined {
  return command.commands.find((sub) => sub.name() === name || sub.aliases().includes(name));
}

/** `argv` (already through normalizeArgv) with Thor-style boolean and array values, and `--lock-wait N`, folded for `program`. */
export function foldBooleanValues(argv: string[], program: Command): string[] {
  const out: Array<string | undefined> = [];
  // Where each array option's values went in `out`, so a repeated flag can drop them.
  const arrays = new Map<Option, number[]>();
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
    if (option.variadic) {
      const values = eq === -1 ? [] : [arg.slice(eq + 1)];
      while (index + 1 < argv.length && !THOR_SWITCH.test(argv[index + 1] as string)) values.push(argv[++index] as string);
      // Commander would take the next switch as the value; Thor refuses.
      if (values.length === 0) throw new UserError(`No value provided for option '${flag}'`);
      for (const earlier of arrays.get(option) ?? []) out[earlier] = undefined;
      const start = out.length;
      out.push(...values.map((value) => `${option.long ?? flag}=${value}`));
      arrays.set(option, Array.from({ length: out.length - start }, (_, i) => start + i));
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
    if (option.long === '--lock-wait') {
      const seconds = attached ?? (current.registeredArguments.length === 0 ? next : undefined);
      if (seconds !== undefined && SECONDS.test(seconds)) {
        out.push('--lock-wait', '--lock-wait-timeout', seconds);
        if (attached === undefined) index++;
        continue;
      }
      if (attached !== undefined && !TRUE_WORDS.has(attached) && !FALSE_WORDS.has(attached)) {
        throw new UserError(`--lock-wait: expected a number of seconds ≥ 0, got ${JSON.stringify(attached)}`);
      }
    }
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
  return out.filter((arg): arg is string => arg !== undefined);
}
