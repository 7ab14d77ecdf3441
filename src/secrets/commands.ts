// The work behind `sextant secrets fetch|extract|print` (Kamal's cli/secrets.rb), shared by the
// CLI and by inline `$(kamal secrets …)` commands in secrets files.
import { UserError } from '../errors.ts';
import { fetchWithAdapter, lookupAdapter } from './adapters/index.ts';
import type { CliRunner } from './adapters/index.ts';
import { isRecord, stringValue } from './adapters/base.ts';
import type { Env } from './dotenv.ts';
import { runProcess } from './process.ts';
import { isBlank } from './ruby.ts';
import { shellEscape } from './shellwords.ts';

/**
 * `--account` missing for an adapter that needs it. Kamal's `secrets fetch` prints this message
 * on stdout and exits 0; the CLI may catch this class to do the same.
 */
export class MissingAccountError extends UserError {
  override readonly name: string = 'MissingAccountError';
  constructor() {
    super("No value provided for required options '--account'");
  }
}

export interface FetchSecretsOptions {
  adapter: string;
  account?: string | undefined;
  from?: string | undefined;
  names: string[];
  /** Environment for the vault CLIs (default: process.env). */
  env?: Env;
  /** Working directory for the vault CLIs (default: process.cwd()). */
  cwd?: string;
  /** Starts vault CLIs; tests may inject one (default: spawn without a shell). */
  run?: CliRunner;
}

/** Fetches `names` from a vault. Keys are as Kamal names them (e.g. `Vault/Item/Field`). */
export async function fetchSecrets(options: FetchSecretsOptions): Promise<Record<string, string>> {
  const adapter = lookupAdapter(options.adapter);
  if (adapter.requiresAccount && isBlank(options.account)) throw new MissingAccountError();
  const env = options.env ?? process.env;
  const run = options.run ?? defaultCliRunner(options.cwd ?? process.cwd(), env);
  const results = await fetchWithAdapter(adapter, options.names, { account: options.account, from: options.from }, { run, env });
  return Object.fromEntries(results);
}

export function defaultCliRunner(cwd: string, env: Env): CliRunner {
  return (call) =>
    runProcess(call.argv, { cwd, env: { ...env, ...call.env }, ...(call.interactive ? { interactive: true } : {}) });
}

/**
 * What `secrets fetch` prints: the results as JSON, shell-escaped like Ruby's
 * `Shellwords.escape`, so that an unquoted `$SECRETS` later is exactly one argument again.
 */
export function shellEscapeJson(secrets: Record<string, string> | ReadonlyMap<string, string>): string {
  const record = secrets instanceof Map ? Object.fromEntries(secrets) : secrets;
  return shellEscape(JSON.stringify(record));
}

/** `secrets extract NAME JSON`: the exact key, else the first key ending in `/NAME`. */
export function extractSecret(name: string, json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new UserError('The secrets given to `secrets extract` are not valid JSON (pass the output of `secrets fetch`)');
  }
  if (!isRecord(parsed)) {
    throw new UserError('The secrets given to `secrets extract` are not a JSON object (pass the output of `secrets fetch`)');
  }
  let value = Object.hasOwn(parsed, name) ? parsed[name] : undefined;
  if (value === undefined || value === null || value === false) {
    value = Object.entries(parsed).find(([key]) => key.endsWith(`/${name}`))?.[1];
  }
  if (value === undefined || value === null) throw new UserError(`Could not find secret ${name}`);
  return stringValue(value);
}

interface SecretEntries {
  entries(): Iterable<readonly [string, string]>;
}

/** `secrets print`: one `KEY=value` line per secret, written the way Ruby's `puts` writes them. */
export function printSecrets(secrets: SecretEntries | Record<string, string>): string {
  const entries = typeof secrets.entries === 'function' ? (secrets as SecretEntries).entries() : Object.entries(secrets);
  let output = '';
  for (const [key, value] of entries) {
    const line = `${key}=${value}`;
    output += line.endsWith('\n') ? line : `${line}\n`;
  }
  return output;
}
