import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config/index.ts';
import { loadSecrets, type Secrets } from '../secrets/index.ts';
import { resolveVersion } from '../engine/git.ts';
import type { CliIO } from './io.ts';
import type { GlobalOptions } from './options.ts';

// What most commands need: the validated config, and (lazily) the secrets and the version.
export interface Project {
  config: Config;
  options: GlobalOptions;
  secrets(): Promise<Secrets>;
  version(): string;
}

export function loadProject(options: GlobalOptions, io: CliIO): Project {
  // Kamal sets KAMAL_DESTINATION before it reads the config, so ERB can use it.
  const env = { ...io.env, KAMAL_DESTINATION: options.destination };
  const config = loadConfig({ configFile: options.configFile, destination: options.destination, cwd: io.cwd, env });
  let secrets: Promise<Secrets> | undefined;
  let version: string | undefined;
  return {
    config,
    options,
    secrets: () => (secrets ??= loadSecrets({ cwd: io.cwd, destination: options.destination, env, secretsPath: config.secretsPath })),
    version: () =>
      (version ??= resolveVersion({
        declared: options.version,
        env: io.env,
        cwd: resolve(io.cwd),
        buildsFromClone: config.builder.context === undefined,
      })),
  };
}
