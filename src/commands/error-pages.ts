// Custom error pages served by kamal-proxy (Kamal's commands/app/error_pages.rb and
// cli/app/error_pages.rb): `4??.html` / `5??.html` from `error_pages_path`, uploaded per version to
// `.kamal/proxy/apps-config/<service>[-<dest>]/error_pages/<version>/`.

import type { Config } from '../config/types.ts';
import { argv, raw, type Command } from './command.ts';
import { proxyAppContainerDirectory, proxyAppDirectory } from './proxy.ts';

/** Mode of the uploaded version directory and its pages. */
export const ERROR_PAGES_MODE = '0700';

/** `.kamal/proxy/apps-config/<service>[-<dest>]/error_pages`: the upload target (the version directory goes inside). */
export function errorPagesDirectory(config: Config): string {
  return `${proxyAppDirectory(config)}/error_pages`;
}

/** `.kamal/proxy/apps-config/<service>[-<dest>]/error_pages/<version>`: where the pages of `version` end up. */
export function errorPagesVersionDirectory(config: Config, version: string): string {
  return `${errorPagesDirectory(config)}/${version}`;
}

/** The same directory as kamal-proxy sees it (`--error-pages`). */
export function errorPagesContainerDirectory(config: Config, version: string): string {
  return `${proxyAppContainerDirectory(config)}/error_pages/${version}`;
}

/** True for a file name Kamal uploads: `4??.html` or `5??.html` (any two characters, no `/`). */
export function isErrorPageFile(name: string): boolean {
  return /^[45][^/]{2}\.html$/.test(name);
}

/** `mkdir -p .kamal/proxy/apps-config/<service>[-<dest>]/error_pages` (only when some page matches). */
export function createErrorPagesDirectory(config: Config): Command {
  return argv('mkdir', '-p', errorPagesDirectory(config));
}

/**
 * Removes the pages of every other version:
 * `find <error_pages> -mindepth 1 -maxdepth 1 ! -name <version> -exec rm -rf {} +`
 */
export function cleanUpErrorPages(config: Config, version: string): Command {
  return argv('find', errorPagesDirectory(config), '-mindepth', '1', '-maxdepth', '1', raw('!'), '-name', version,
    '-exec', 'rm', '-rf', raw('{} +'));
}
