import { ConfigError, fileForKeyPath, listSecretReferences, readConfigFiles, type Config } from '../config/index.ts';
import type { Secrets } from './load.ts';

// Every secret the config names must be defined before any server is touched. All missing ones
// are reported together, each with the config file and key path that asks for it.
export function checkSecretReferences(config: Config, secrets: Secrets): void {
  const where = secrets.files.length > 0 ? secrets.files.join(', ') : 'no secrets file (.kamal/secrets-common, .kamal/secrets[.dest])';
  const missing = listSecretReferences(config).filter((ref) => !secrets.has(ref.secret));
  if (missing.length === 0) return;
  // Only on this error path: read the files again to name the one (main or destination) that asks.
  const { read } = readConfigFiles({ cwd: config.cwd, configFile: config.files[0], destination: config.destination });
  throw new ConfigError(
    missing.map((ref) => ({
      file: fileForKeyPath(ref.keyPath.split('/'), read),
      path: ref.keyPath,
      message: `secret '${ref.secret}' is not defined in ${where}`,
    })),
  );
}
