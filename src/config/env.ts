import { UserError } from '../errors.ts';
import type { Config, EnvBlock, ResolvedEnv } from './types.ts';

/** `NAME` → `[NAME, NAME]`; `NAME:SECRET` → `[NAME, SECRET]` (split on the first colon). */
export function secretAlias(entry: string): [string, string] {
  const colon = entry.indexOf(':');
  return colon === -1 ? [entry, entry] : [entry.slice(0, colon), entry.slice(colon + 1)];
}

/** Kamal's Env#merge: clear values later-wins in place, secret entries as a union. */
function mergeBlocks(blocks: EnvBlock[]): EnvBlock {
  const clear = new Map<string, string | false>();
  const secret: string[] = [];
  for (const block of blocks) {
    for (const [name, value] of block.clear) clear.set(name, value);
    for (const entry of block.secret) if (!secret.includes(entry)) secret.push(entry);
  }
  return { clear: [...clear], secret };
}

/** Turns `NAME[:SECRET]` entries into env-file pairs; a later alias for the same NAME wins, in place. */
export function resolveSecrets(entries: string[]): Array<[string, string]> {
  const pairs = new Map<string, string>();
  for (const entry of entries) {
    const [name, secret] = secretAlias(entry);
    pairs.set(name, secret);
  }
  return [...pairs];
}

/**
 * The env of `role` on `host`: root env, then the role's env, then the env of each tag of the host
 * in the order the tags were written (Kamal's role.rb `env(host)`). A tag with no env/tags entry
 * adds nothing: such a tag may only be there to place accessories (`accessories/<name>/tag`).
 * Kamal 2.6.0 crashes on it at boot ("undefined method `env' for nil"); 2.9.0 skips it, as here.
 */
export function envFor(config: Config, roleName: string, host: string): ResolvedEnv {
  const role = config.roles.find((candidate) => candidate.name === roleName);
  if (!role) throw new UserError(`Unknown role ${roleName}`);
  const tags = role.hostTags[host];
  if (!tags) throw new UserError(`Host ${host} is not in role ${roleName}`);
  const tagBlocks = tags.flatMap((tagName) => {
    const tag = config.env.tags.find((candidate) => candidate.name === tagName);
    return tag ? [tag] : [];
  });
  const merged = mergeBlocks([config.env, role.env, ...tagBlocks]);
  return { clear: merged.clear, secrets: resolveSecrets(merged.secret) };
}

/** The env of an accessory: its own clear values and secrets (accessories take no tags). */
export function accessoryEnv(config: Config, name: string): ResolvedEnv {
  const accessory = config.accessories.find((candidate) => candidate.name === name);
  if (!accessory) throw new UserError(`No accessory called ${name}`);
  return { clear: [...accessory.env.clear], secrets: resolveSecrets(accessory.env.secret) };
}
