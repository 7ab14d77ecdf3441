import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/index.ts';
import type { Config, LoadOptions } from '../../../src/config/index.ts';

/** Directory of a fixture project under test/fixtures/config/. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/config/${name}/`, import.meta.url));
}

export function loadFixture(name: string, options: Omit<LoadOptions, 'cwd'> = {}): Config {
  return loadConfig({ env: {}, ...options, cwd: fixtureDir(name) });
}
