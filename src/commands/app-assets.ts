// Asset bridging (Kamal's commands/app/assets.rb): for a role with `asset_path` that runs the proxy,
// the image's assets are copied out per version and merged with the previous version's, so
// requests for old fingerprinted assets keep working during the switch.

import type { Config, RoleConfig } from '../config/types.ts';
import { and, argv, docker, or, raw, redirect, seq, squote, word, type Command, type Word } from './command.ts';

/** `.kamal/apps/<service>[-<dest>]/assets` */
export function assetsDirectory(config: Config): string {
  return `${config.runDirectory}/apps/${config.serviceAndDestination}/assets`;
}

/** `.kamal/apps/<service>[-<dest>]/assets/extracted/<role>-<version>` */
export function assetExtractedDirectory(config: Config, role: RoleConfig, version: string): string {
  return `${assetsDirectory(config)}/extracted/${role.name}-${version}`;
}

/** `.kamal/apps/<service>[-<dest>]/assets/volumes/<role>-<version>`: mounted at the asset path. */
export function assetVolumeDirectory(config: Config, role: RoleConfig, version: string): string {
  return `${assetsDirectory(config)}/volumes/${role.name}-${version}`;
}

/** `<prefix>-assets`: the short-lived container the assets are copied from. */
export function assetContainerName(role: RoleConfig): string {
  return `${role.containerPrefix}-assets`;
}

/** `--volume $(pwd)/<volume directory>:<asset_path>` for a role with assets, else nothing. */
export function assetVolumeArgs(config: Config, role: RoleConfig, version: string): Word[] {
  if (!role.assets || role.assetPath === undefined) return [];
  return [word('--volume'), word(raw('$(pwd)/'), `${assetVolumeDirectory(config, role, version)}:${role.assetPath}`)];
}

/**
 * Copies `<asset_path>/.` out of the new image:
 * `mkdir -p <extracted> && docker container rm <c> 2> /dev/null || true && docker container create --name <c> <image>
 *  && docker container cp -L <c>:<asset_path>/. <extracted> && docker container rm <c>`
 */
export function extractAssets(config: Config, role: RoleConfig, version: string): Command {
  const container = assetContainerName(role);
  const extracted = assetExtractedDirectory(config, role, version);
  return and(
    argv('mkdir', '-p', extracted),
    or(redirect(docker('container', 'rm', container), '2>', '/dev/null'), argv('true')),
    docker('container', 'create', '--name', container, `${config.repository}:${version}`),
    docker('container', 'cp', '-L', word(`${container}:`, role.assetPath ?? '', raw('/.')), extracted),
    docker('container', 'rm', container),
  );
}

/**
 * Fills the new version's volume from its extracted assets and, with an old version, cross-copies
 * without overwriting: new → old volume and old → new volume (`cp -rnT`, failures ignored).
 */
export function syncAssetVolumes(config: Config, role: RoleConfig, version: string, oldVersion?: string): Command {
  const newExtracted = assetExtractedDirectory(config, role, version);
  const newVolume = assetVolumeDirectory(config, role, version);
  const commands: Command[] = [argv('mkdir', '-p', newVolume), copyContents(newExtracted, newVolume)];
  if (oldVersion !== undefined && !/^\s*$/.test(oldVersion)) {
    commands.push(copyContents(newExtracted, assetVolumeDirectory(config, role, oldVersion), true));
    commands.push(copyContents(assetExtractedDirectory(config, role, oldVersion), newVolume, true));
  }
  return seq(...commands);
}

function copyContents(source: string, destination: string, continueOnError = false): Command {
  const copy = argv('cp', '-rnT', source, destination);
  return continueOnError ? or(copy, argv('true')) : copy;
}

/** Removes the extracted and volume directories of the role's other versions. */
export function cleanUpAssets(config: Config, role: RoleConfig, version: string): Command {
  return seq(
    removeOlderSiblings(role, `${assetsDirectory(config)}/extracted`, `${role.name}-${version}`),
    removeOlderSiblings(role, `${assetsDirectory(config)}/volumes`, `${role.name}-${version}`),
  );
}

function removeOlderSiblings(role: RoleConfig, parent: string, keep: string): Command {
  return argv('find', parent, raw('-maxdepth 1'), '-name', squote(`${role.name}-*`), raw('!'), '-name', keep, raw('-exec rm -rf "{}" +'));
}
