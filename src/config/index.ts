// Public API of the configuration layer.
export { loadConfig, readConfigFiles, destinationConfigFile, fileForKeyPath, DEFAULT_CONFIG_FILE } from './load.ts';
export type { LoadOptions } from './load.ts';
export { ConfigError, formatIssues } from './errors.ts';
export type { ConfigIssue } from './errors.ts';
export { envFor, accessoryEnv, secretAlias, resolveSecrets } from './env.ts';
export { selectHosts, rolesOn } from './selection.ts';
export type { Selection, SelectOptions } from './selection.ts';
export { containerName, envFilePath, bootGroups, bootLimit, listSecretReferences, proxyRunFor } from './helpers.ts';
export type { SecretReference } from './helpers.ts';
export { fnmatch, filterSpecificItems } from './fnmatch.ts';
export { deployJsonSchema } from './json-schema.ts';
export { configurationReference } from './docs.ts';
export { deploySchema } from './schema/root.ts';
export { KAMAL_VERSION, compareGemVersions, isGemVersion } from './version.ts';
export { renderErb } from './erb.ts';
export type * from './types.ts';
