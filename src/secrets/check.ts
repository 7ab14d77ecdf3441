import { ConfigError, fileForKeyPath, listSecretReferences, readConfigFiles, type Config } from '../config/index.ts';
import type { Secrets } from './load.ts';

/** What `config` and dry runs put where an undefined secret's value would go: never a guess. */
export const MISSING_SECRET = '[MISSING]';

export interface UndefinedSecret {
  secret: string;
  /** Every key path that asks for it, in config order. */
  keyPaths: string[];
}

/** The secrets files that were read, or what would have been read, for messages. */
export function secretsSource(secrets: Secrets): string {
  return secrets.files.length > 0 ? secrets.files.join(', ') : 'no secrets file (.kamal/secrets-common, .kamal/secrets[.dest])';
}

/** The secrets the config names that no secrets file defines, each once. */
export function undefinedSecrets(config: Config, secrets: Secrets): UndefinedSecret[] {
  const bySecret = new Map<string, string[]>();
  for (const ref of listSecretReferences(config)) {
    if (secrets.has(ref.secret)) continue;
    const paths = bySecret.get(ref.secret) ?? bySecret.set(ref.secret, []).get(ref.secret)!;
    paths.push(ref.keyPath);
  }
  return [...bySecret].map(([secret, keyPaths]) => ({ secret, keyPaths }));
}

// Every secret the config names must be defined before any server is touched. All missing ones
// are reported together, each with the config file and key path that asks for it.
export function checkSecretReferences(config: Config, secrets: Secrets): void {
  const missing = listSecretReferences(config).filter((ref) => !secrets.has(ref.secret));
  if (missing.length === 0) return;
  // Only on this error path: read the files again to name the one (main or destination) that asks.
  const { read } = readConfigFiles({ cwd: config.cwd, configFile: config.files[0], destination: config.destination });
  throw new ConfigError(
    missing.map((ref) => ({
      file: fileForKeyPath(ref.keyPath.split('/'), read),
      path: ref.keyPath,
      message: `secret '${ref.secret}' is not defined in ${secretsSource(secrets)}`,
    })),
  );
}

// For commands that only show things (`config`, every --dry-run): an undefined secret is no
// error. Each one is warned about once, and its value reads as MISSING_SECRET.
export function allowUndefinedSecrets(config: Config, secrets: Secrets, warn: (line: string) => void): Secrets {
  const missing = undefinedSecrets(config, secrets);
  for (const { secret, keyPaths } of missing) {
    warn(`WARNING: ${keyPaths.join(', ')}: secret '${secret}' is not defined in ${secretsSource(secrets)} (value ${MISSING_SECRET}; a real run refuses it)`);
  }
  if (missing.length === 0) return secrets;
  const names = new Set(missing.map((m) => m.secret));
  return {
    ...secrets,
    get: (name) => (names.has(name) ? MISSING_SECRET : secrets.get(name)),
  };
}
