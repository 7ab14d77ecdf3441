// What every vault adapter shares: the call shape, the fixed order Kamal runs them in (account
// check, CLI present, login, fetch) and small helpers for their CLI output.
import { UserError } from '../../errors.ts';
import type { CommandResult, Env } from '../dotenv.ts';
import { isBlank } from '../ruby.ts';

/** One vault CLI invocation: argv (no shell), extra environment, and whether it may prompt. */
export interface CliCall {
  argv: string[];
  env?: Record<string, string>;
  interactive?: boolean;
}

export type CliRunner = (call: CliCall) => Promise<CommandResult>;

export interface AdapterContext {
  run: CliRunner;
  /** The environment the CLIs run with (and that e.g. DOPPLER_TOKEN is read from). */
  env: Env;
}

export interface AdapterOptions {
  account?: string | undefined;
  from?: string | undefined;
}

export interface SecretsAdapter<Session = unknown> {
  readonly requiresAccount: boolean;
  checkDependencies(context: AdapterContext): Promise<void>;
  login(account: string | undefined, context: AdapterContext): Promise<Session>;
  fetchSecrets(
    secrets: string[],
    options: AdapterOptions & { session: Session },
    context: AdapterContext,
  ): Promise<Map<string, string>>;
}

/** Kamal's `Adapters::Base#fetch`. */
export async function fetchWithAdapter<Session>(
  adapter: SecretsAdapter<Session>,
  secrets: string[],
  options: AdapterOptions,
  context: AdapterContext,
): Promise<Map<string, string>> {
  if (adapter.requiresAccount && isBlank(options.account)) throw new UserError("Missing required option '--account'");
  await adapter.checkDependencies(context);
  const session = await adapter.login(options.account, context);
  return adapter.fetchSecrets(secrets, { ...options, session }, context);
}

export function succeeded(result: CommandResult): boolean {
  return result.exitCode === 0;
}

/** Fails with `message` unless `argv` (a `--version` style probe) exits 0. */
export async function requireCli(context: AdapterContext, argv: string[], message: string): Promise<void> {
  if (!succeeded(await context.run({ argv }))) throw new UserError(message);
}

/** `from/secret` for every secret when `--from` is given (an empty `--from` still adds `/`). */
export function prefixedSecrets(secrets: readonly string[], from: string | undefined): string[] {
  return secrets.map((secret) => (from === undefined ? secret : `${from}/${secret}`));
}

/** Parses a CLI's JSON output; the error names the command, never the output (it may hold secrets). */
export function parseCliJson(output: string, argv: readonly string[]): unknown {
  try {
    return JSON.parse(output);
  } catch {
    throw new UserError(`Could not parse the output of \`${argv.slice(0, 3).join(' ')}\` as JSON`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON value as the string Kamal would end up with (`nil` → "", numbers as written). */
export function stringValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
