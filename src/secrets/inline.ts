// An inline `$(kamal secrets …)` / `$(sextant secrets …)` in a secrets file. Kamal does not start a
// shell for it: it runs its own CLI in-process with `--inline` appended and uses the returned
// string. This module mirrors that, including how Thor reads the options.
import { UserError } from '../errors.ts';
import type { CliRunner } from './adapters/index.ts';
import { extractSecret, fetchSecrets, MissingAccountError, shellEscapeJson } from './commands.ts';
import type { Env } from './dotenv.ts';

export interface InlineContext {
  cwd: string;
  env: Env;
  run?: CliRunner | undefined;
}

interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  alias?: string;
  required?: boolean;
}

// Kamal's class options (cli/base.rb): accepted everywhere, unused here.
const CLASS_OPTIONS: OptionSpec[] = [
  { name: 'verbose', type: 'boolean', alias: 'v' },
  { name: 'quiet', type: 'boolean', alias: 'q' },
  { name: 'version', type: 'string' },
  { name: 'primary', type: 'boolean', alias: 'p' },
  { name: 'hosts', type: 'string', alias: 'h' },
  { name: 'roles', type: 'string', alias: 'r' },
  { name: 'config_file', type: 'string', alias: 'c' },
  { name: 'destination', type: 'string', alias: 'd' },
  { name: 'skip_hooks', type: 'boolean', alias: 'H' },
];

const COMMAND_OPTIONS: Record<string, OptionSpec[]> = {
  fetch: [
    { name: 'adapter', type: 'string', alias: 'a', required: true },
    { name: 'account', type: 'string' },
    { name: 'from', type: 'string' },
    { name: 'inline', type: 'boolean' },
  ],
  extract: [{ name: 'inline', type: 'boolean' }],
  print: [],
  help: [],
};

/**
 * Runs `args` (the words after the program name, e.g. `['secrets', 'fetch', '-a', …]`) as Kamal's
 * `Kamal::Cli::Main.start(args + ['--inline'])` would, returning the inline result.
 */
export async function runInlineSecretsCommand(args: readonly string[], context: InlineContext): Promise<string> {
  const [group, given, ...rest] = [...args, '--inline'];
  if (group !== 'secrets') throw new UserError(`Could not find command ${JSON.stringify(group ?? '')}.`);
  const command = resolveCommand(given ?? '');
  const { options, positional } = parseThorArgs(rest, [...CLASS_OPTIONS, ...COMMAND_OPTIONS[command]!]);

  switch (command) {
    case 'fetch': {
      try {
        const results = await fetchSecrets({
          adapter: String(options['adapter']),
          account: optionalString(options['account']),
          from: optionalString(options['from']),
          names: positional,
          env: context.env,
          cwd: context.cwd,
          ...(context.run ? { run: context.run } : {}),
        });
        return shellEscapeJson(results);
      } catch (error) {
        if (error instanceof MissingAccountError) throw new UserError(error.message);
        throw error;
      }
    }
    case 'extract': {
      if (positional.length !== 2) {
        const got = positional.length === 0 ? 'no arguments' : `${positional.length} argument${positional.length === 1 ? '' : 's'}`;
        throw new UserError(`"secrets extract" was called with ${got}; usage: secrets extract NAME SECRETS`);
      }
      return extractSecret(positional[0]!, positional[1]!);
    }
    default:
      throw new UserError(`\`secrets ${command}\` cannot be used inside a secrets file`);
  }
}

function optionalString(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// Thor accepts any unambiguous prefix of a command name.
function resolveCommand(given: string): string {
  const names = Object.keys(COMMAND_OPTIONS);
  if (names.includes(given)) return given;
  const candidates = given.startsWith('-') || given === '' ? [] : names.filter((name) => name.startsWith(given));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new UserError(`Ambiguous command ${given} matches [${candidates.join(', ')}]`);
  }
  throw new UserError(given === '' ? '`secrets` needs a command (fetch or extract)' : `Could not find command ${JSON.stringify(given)} in "secrets" namespace.`);
}

const LONG_RE = /^(--\w+(?:-\w+)*)$/;
const SHORT_RE = /^(-[a-z])$/i;
const EQ_RE = /^(--\w+(?:-\w+)*|-[a-z])=(.*)$/is;
const SHORT_NUM = /^(-[a-z])([-+]?(?:\d*\.\d+|\d+))$/i;
const SHORT_SQ_RE = /^-([a-z]{2,})$/i;
const TRUE_WORDS = ['true', 'TRUE', 't', 'T'];
const FALSE_WORDS = ['false', 'FALSE', 'f', 'F'];

interface ParsedArgs {
  options: Record<string, string | boolean>;
  positional: string[];
}

/** Thor's option parsing, reduced to what `secrets fetch|extract` can meet. */
export function parseThorArgs(args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const switches = new Map<string, OptionSpec>();
  for (const spec of specs) {
    switches.set(`--${spec.name.replaceAll('_', '-')}`, spec);
    if (spec.alias) switches.set(`-${spec.alias}`, spec);
  }
  const normalize = (name: string) => name.replaceAll('_', '-');
  const lookup = (name: string): { spec: OptionSpec; negated: boolean } | undefined => {
    const direct = switches.get(normalize(name));
    if (direct) return { spec: direct, negated: false };
    const negation = /^--(?:no|skip)-([-\w]+)$/.exec(normalize(name));
    const spec = negation ? switches.get(`--${negation[1]}`) : undefined;
    return spec?.type === 'boolean' ? { spec, negated: true } : undefined;
  };
  const isKnown = (arg: string): boolean => {
    const match = LONG_RE.exec(arg) ?? SHORT_RE.exec(arg) ?? EQ_RE.exec(arg) ?? SHORT_NUM.exec(arg);
    if (match) return lookup(match[1]!) !== undefined;
    const squashed = SHORT_SQ_RE.exec(arg);
    return squashed ? [...squashed[1]!].some((flag) => lookup(`-${flag}`) !== undefined) : false;
  };
  const looksLikeSwitch = (arg: string) =>
    LONG_RE.test(arg) || SHORT_RE.test(arg) || EQ_RE.test(arg) || SHORT_NUM.test(arg) || SHORT_SQ_RE.test(arg);

  const pile = [...args];
  let forcedValue = false; // the next word came from `--name=value`, so it is a value whatever it looks like
  let parsingOptions = true;
  const options: Record<string, string | boolean> = {};
  const positional: string[] = [];
  const assigned = new Set<string>();

  while (pile.length > 0) {
    if (parsingOptions && !forcedValue && pile[0] === '--') {
      pile.shift();
      parsingOptions = false;
      continue;
    }
    const arg = pile.shift()!;
    if (!parsingOptions) {
      positional.push(arg);
      continue;
    }
    if (!isKnown(arg)) {
      positional.push(arg);
      // An unknown switch takes the words after it with it, as Thor does.
      if (looksLikeSwitch(arg)) while (pile.length > 0 && !pile[0]!.startsWith('-')) positional.push(pile.shift()!);
      continue;
    }

    let name: string;
    let squashed: RegExpExecArray | null;
    let match: RegExpExecArray | null;
    if (!SHORT_RE.test(arg) && !LONG_RE.test(arg) && !EQ_RE.test(arg) && (squashed = SHORT_SQ_RE.exec(arg))) {
      pile.unshift(...[...squashed[1]!].map((flag) => `-${flag}`));
      continue;
    } else if ((match = EQ_RE.exec(arg))) {
      pile.unshift(match[2]!);
      forcedValue = true;
      name = match[1]!;
    } else if ((match = SHORT_NUM.exec(arg))) {
      pile.unshift(match[2]!);
      name = match[1]!;
    } else {
      name = arg;
    }

    const found = lookup(name)!;
    const { spec } = found;
    const valueGiven = forcedValue || (pile.length > 0 && !looksLikeSwitch(pile[0]!) && pile[0] !== '--');
    forcedValue = false;
    if (spec.type === 'boolean') {
      let value = !found.negated;
      if (valueGiven && TRUE_WORDS.includes(pile[0]!)) value = (pile.shift(), true);
      else if (valueGiven && FALSE_WORDS.includes(pile[0]!)) value = (pile.shift(), false);
      options[spec.name] = value;
    } else if (found.negated) {
      delete options[spec.name];
    } else if (!valueGiven) {
      if (spec.required) throw new UserError(`No value provided for option '${switchName(spec)}'`);
      options[spec.name] = spec.name.replaceAll('_', '-'); // Thor's fallback: the option's own name
    } else {
      options[spec.name] = pile.shift()!;
    }
    assigned.add(spec.name);
  }

  const missing = specs.filter((spec) => spec.required && !assigned.has(spec.name));
  if (missing.length > 0) {
    throw new UserError(`No value provided for required options ${missing.map((s) => `'${switchName(s)}'`).join(', ')}`);
  }
  return { options, positional };
}

function switchName(spec: OptionSpec): string {
  return `--${spec.name.replaceAll('_', '-')}`;
}
