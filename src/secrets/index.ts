// The secrets layer: `.kamal/secrets*` files (dotenv with `$VAR` and `$(…)`), inline
// `secrets fetch/extract`, and the vault adapters behind `sextant secrets fetch`.
export { loadSecrets, createSecrets, secretsFileNames } from './load.ts';
export type { Secrets, LoadSecretsOptions } from './load.ts';
export { fetchSecrets, extractSecret, shellEscapeJson, printSecrets, MissingAccountError, defaultCliRunner } from './commands.ts';
export type { FetchSecretsOptions } from './commands.ts';
export { parseDotenv, scanDotenv, substituteVariables, findCommands } from './dotenv.ts';
export type { DotenvContext, DotenvEntry, CommandResult, Env } from './dotenv.ts';
export { runInlineSecretsCommand } from './inline.ts';
export { lookupAdapter, ADAPTER_NAMES } from './adapters/index.ts';
export type { CliCall, CliRunner, SecretsAdapter } from './adapters/index.ts';
export { MIN_REDACTED_LENGTH, redactValues, REDACTED } from './redact.ts';
export { shellEscape, shellSplit } from './shellwords.ts';
export { checkSecretReferences, allowUndefinedSecrets, undefinedSecrets, secretsSource, MISSING_SECRET } from './check.ts';
export type { UndefinedSecret } from './check.ts';
