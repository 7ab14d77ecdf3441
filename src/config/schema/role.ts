import { z } from 'zod';
import { argumentValue, describe, freeHash, hash, hashOf, hostList, refuseRestartOption, stringish } from './common.ts';
import { envSchema } from './env.ts';
import { loggingSchema } from './logging.ts';
import { proxySchema } from './proxy.ts';

export const dockerOptions = (what: string) =>
  describe(freeHash(), {
    description: `Extra \`docker run\` options for ${what}, written \`--key "value"\` (\`true\` gives a bare \`--key\`, a list repeats the option).`,
    rules: ['restart may not be set: unless-stopped is required'],
  });

/** A role written as a hash: its hosts plus settings that override the root ones. */
export const roleHashSchema = () =>
  hash({
    hosts: describe(hostList(), {
      description: 'Hosts of this role: `host`, `{host: tag}` or `{host: [tags]}`.',
    }).optional(),
    cmd: describe(stringish(), { description: 'Command to run in the container instead of the image default.' }).optional(),
    options: dockerOptions('this role').optional(),
    logging: describe(loggingSchema(), { description: 'Logging for this role, deep-merged over the root `logging`.' }).optional(),
    proxy: describe(z.union([z.boolean(), proxySchema()], { error: 'should be a hash' }), {
      description: 'Run this role behind kamal-proxy: `true`, `false`, or proxy settings deep-merged over the root `proxy`. The primary role uses the proxy unless this is false; other roles only when set.',
    }).optional(),
    labels: describe(hashOf(argumentValue()), { description: 'Extra container labels for this role, merged after the root labels.' }).optional(),
    env: describe(envSchema({ tags: false }), { description: 'Env for this role, merged over the root env (no tags here).' }).optional(),
    asset_path: describe(stringish(), { description: 'Asset path for this role, overriding the root `asset_path`.' }).optional(),
    stop_timeout: describe(z.int(), { description: '`docker stop -t` seconds for this role, overriding the root `stop_timeout`.' }).optional(),
  })
    .superRefine((role, ctx) => refuseRestartOption(role.options, ctx))
    .meta({ title: 'role settings', description: 'A role with its hosts under `hosts:` and settings that override the root ones.' });

export type RoleHash = z.output<ReturnType<typeof roleHashSchema>>;
export type HostEntry = z.output<ReturnType<typeof hostList>>[number];

/** One role under `servers:` — a plain list of hosts or a hash of settings. */
export const roleSchema = () =>
  z.union([hostList(), roleHashSchema()], { error: 'should be an array or a hash' });

/** `servers:` — a list of hosts for the single `web` role, or a hash of role name → role. */
export const serversSchema = () =>
  z.union([hostList(), hashOf(roleSchema())], { error: 'should be an array or a hash' });

export type ServersSection = z.output<ReturnType<typeof serversSchema>>;
