export { ConfigError, destinationConfigFile, loadConfig, readConfigFiles, renderErb } from '../../../src/config/index.ts';
export { deepMerge as deepMergeForTest } from '../../../src/config/merge.ts';
