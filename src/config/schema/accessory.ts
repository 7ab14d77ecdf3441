import { z } from 'zod';
import { argumentValue, arrayOf, describe, hash, hashOf, refuseRestartOption, stringish } from './common.ts';
import { dispatch } from './dispatch.ts';
import { envSchema } from './env.ts';
import { isHash } from '../merge.ts';
import { proxySchema } from './proxy.ts';
import { registrySchema } from './registry.ts';
import { dockerOptions } from './role.ts';

export const ACCESSORY_HOST_KEYS = ['host', 'hosts', 'role', 'roles', 'tag', 'tags'] as const;

const mapping = (shape: string) =>
  stringish().superRefine((value, ctx) => {
    if (!value.includes(':')) ctx.addIssue({ code: 'custom', message: `should be written ${shape}` });
  });

// An empty `registry: {}` counts as no registry, as in Kamal (it only reads a registry that is "present").
const accessoryRegistry = () =>
  dispatch(z.union([registrySchema(), hash({})]), (input) =>
    isHash(input) && Object.keys(input).length === 0 ? (z.any().transform(() => undefined) as never) : registrySchema(),
  );

// `proxy: false` means no proxy; `true` is refused like any non-hash (Kamal: "should be a hash").
const accessoryProxy = () =>
  dispatch(z.union([z.literal(false), proxySchema()]), (input) =>
    input === false ? (z.any().transform(() => undefined) as never) : proxySchema(),
  );

/** One entry under `accessories:` — a service run beside the app (database, cache, …). */
export const accessorySchema = () =>
  hash({
    service: describe(stringish(), { description: 'Container name and service label (default `<service>-<accessory name>`).' }).optional(),
    image: describe(stringish(), { description: 'Image to run, without the registry server when `registry` is set.' }).optional(),
    registry: describe(accessoryRegistry(), { description: 'Registry for this image, when it is not the root one.' }).optional(),
    host: describe(stringish(), { description: 'Run on this host.', rules: ['exactly one of host, hosts, role, roles, tag, tags'] }).optional(),
    hosts: describe(arrayOf(stringish()), { description: 'Run on these hosts.' }).optional(),
    role: describe(stringish(), { description: "Run on every host of this role." }).optional(),
    roles: describe(arrayOf(stringish()), { description: 'Run on every host of these roles.' }).optional(),
    tag: describe(stringish(), {
      description: 'Run on hosts carrying this tag (only roles written as plain host lists are searched).',
    }).optional(),
    tags: describe(arrayOf(stringish()), { description: 'Run on hosts carrying any of these tags.' }).optional(),
    cmd: describe(stringish(), { description: 'Command to run instead of the image default.' }).optional(),
    port: describe(stringish(), { description: 'Published port, `[ip:]host:container`; a bare `3306` means `3306:3306`.' }).optional(),
    labels: describe(hashOf(argumentValue()), { description: 'Extra container labels.' }).optional(),
    options: dockerOptions('this accessory').optional(),
    env: describe(envSchema({ tags: false }), { description: 'Env for the accessory (no tags).' }).optional(),
    files: describe(arrayOf(mapping('local:remote')), {
      description: 'Local files uploaded to `<service>/<remote>` on the host and mounted at `remote` (`.erb` files are rendered first).',
    }).optional(),
    directories: describe(arrayOf(mapping('host:container')), {
      description: 'Directories created on the host and mounted; relative host paths live under `$PWD/<service>`.',
    }).optional(),
    volumes: describe(arrayOf(stringish()), { description: 'Other `--volume` mounts, not created beforehand.' }).optional(),
    network: describe(stringish(), { description: 'Docker network to join.', default: 'kamal' }).optional(),
    proxy: describe(accessoryProxy(), {
      description: 'Run the accessory behind kamal-proxy with these settings (not merged with the root proxy).',
    }).optional(),
  }).superRefine((accessory, ctx) => {
    const given = ACCESSORY_HOST_KEYS.filter((key) => key in accessory && accessory[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`' });
    }
    refuseRestartOption(accessory.options, ctx);
  });

export type AccessorySection = z.output<ReturnType<typeof accessorySchema>>;
