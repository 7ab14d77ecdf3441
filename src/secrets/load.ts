// Reading the secrets files (Kamal's lib/kamal/secrets.rb): `.kamal/secrets-common`, then
// `.kamal/secrets` or, with a destination, `.kamal/secrets.<destination>` instead. Each file is
// parsed on its own (its `$VAR`s see its own earlier keys and the process environment, not the
// other file's keys); later files override earlier keys.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { CliRunner } from './adapters/index.ts';
import { parseDotenv } from './dotenv.ts';
import type { CommandResult, Env } from './dotenv.ts';
import { runInlineSecretsCommand } from './inline.ts';
import { runShellCommand } from './process.ts';
import { hiddenValues, redactHidden, redactValues } from './redact.ts';

export interface Secrets {
  /** The value of a secret; a missing one is a UserError with Kamal's message. */
  get(name: string): string;
  has(name: string): boolean;
  /** Secret names in file order. */
  names(): string[];
  /** `[name, value]` pairs in file order. */
  entries(): Array<[string, string]>;
  /** The files that existed and were read, e.g. `['.kamal/secrets-common', '.kamal/secrets']`. */
  readonly files: readonly string[];
  toRecord(): Record<string, string>;
  /** Replaces every secret value in `text` with `[REDACTED]` (overlapping values hidden as one). */
  redact(text: string): string;
}

export interface LoadSecretsOptions {
  cwd: string;
  destination?: string | undefined;
  /** The process environment for `$VAR` fallbacks and for commands (default: process.env). */
  env?: Env | undefined;
  /** Runs a `$(…)` command (default: `/bin/sh -c` in cwd with `env`). */
  runCommand?: ((command: string) => Promise<CommandResult>) | undefined;
  /** Starts vault CLIs for inline `secrets fetch` (default: spawn without a shell). */
  runCli?: CliRunner | undefined;
  /** `secrets_path` (Kamal 2.7): the base of the file names, `.kamal/secrets` by default. */
  secretsPath?: string | undefined;
}

export function secretsFileNames(destination?: string, base = '.kamal/secrets'): string[] {
  return [`${base}-common`, destination ? `${base}.${destination}` : base];
}

export async function loadSecrets(options: LoadSecretsOptions): Promise<Secrets> {
  const env = options.env ?? process.env;
  const runCommand = options.runCommand ?? ((command: string) => runShellCommand(command, { cwd: options.cwd, env }));
  const candidates = secretsFileNames(options.destination, options.secretsPath);
  const values = new Map<string, string>();
  const files: string[] = [];

  for (const file of candidates) {
    const source = await readSecretsFile(join(options.cwd, file), file);
    if (source === undefined) continue;
    files.push(file);
    const parsed = await parseDotenv(source, {
      file,
      env,
      runCommand,
      runInline: (args) => runInlineSecretsCommand(args, { cwd: options.cwd, env, run: options.runCli }),
      redact: (text) => redactValues(text, values.values()),
    });
    for (const [key, value] of parsed) values.set(key, value);
  }
  return createSecrets(values, files, candidates);
}

async function readSecretsFile(path: string, shown: string): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined;
    return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`Could not read ${shown}: ${(error as Error).message}`);
  }
}

/** A `Secrets` over already known values (also handy in tests of other layers). */
export function createSecrets(
  values: ReadonlyMap<string, string>,
  files: readonly string[],
  candidates: readonly string[] = secretsFileNames(),
): Secrets {
  const snapshot = new Map(values);
  const hidden = hiddenValues(snapshot.values());
  return {
    files: [...files],
    get(name) {
      const value = snapshot.get(name);
      if (value !== undefined) return value;
      if (files.length > 0) throw new UserError(`Secret '${name}' not found in ${files.join(', ')}`);
      throw new UserError(`Secret '${name}' not found, no secret files (${candidates.join(', ')}) provided`);
    },
    has: (name) => snapshot.has(name),
    names: () => [...snapshot.keys()],
    entries: () => [...snapshot.entries()],
    toRecord: () => Object.fromEntries(snapshot),
    redact: (text) => redactHidden(text, hidden),
  };
}
