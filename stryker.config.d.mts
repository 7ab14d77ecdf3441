// Types for stryker.config.mjs, so scripts/mutate.ts (type-checked with the rest) can import FOLDERS.
import type { PartialStrykerOptions } from '@stryker-mutator/api/core';

export interface MutateFolder {
  code: string;
  tests: string;
  skip?: string[];
}
export declare const FOLDERS: {
  commands: MutateFolder;
  config: MutateFolder;
  secrets: MutateFolder;
  machines: MutateFolder;
};
declare const config: PartialStrykerOptions;
export default config;
