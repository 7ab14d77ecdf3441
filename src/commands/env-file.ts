// The body of a remote env file (`.kamal/apps/<svc>/env/roles/<role>.env`, `…/accessories/<name>.env`),
// byte for byte as Kamal 2.6.0 writes it (lib/kamal/env_file.rb):
//   - one `NAME=value\n` line per secret, in the order given;
//   - ASCII runs of the value are Ruby `String#dump`ed without the outer quotes, then every `\"`
//     is turned back into `"` and every `\#` back into `#` (docker reads env files literally, so a
//     backslash stays `\\` and a newline is the two characters `\n`);
//   - runs of non-ASCII characters are kept as they are;
//   - no secrets at all gives a single `\n` (never an empty file).

import { rubyDumpBody } from './ruby-string.ts';

/** `[environment variable name, secret value]` pairs, in env-file order. */
export type EnvFileEntries = ReadonlyArray<readonly [name: string, value: string]>;

export function envFileContent(secrets: EnvFileEntries): string {
  const body = secrets.map(([name, value]) => `${name}=${escapeEnvFileValue(value)}\n`).join('');
  return body === '' ? '\n' : body;
}

/** One value as Kamal writes it into an env file. */
export function escapeEnvFileValue(value: string): string {
  const runs = value.match(/[\x00-\x7F]+|[^\x00-\x7F]+/gu) ?? [];
  return runs
    .map((run) => (/^[\x00-\x7F]/.test(run) ? rubyDumpBody(run).replace(/\\"/g, '"').replace(/\\#/g, '#') : run))
    .join('');
}
