import { z } from 'zod';
import { accessorySchema } from './accessory.ts';
import { aliasesSchema } from './aliases.ts';
import { bootSchema } from './boot.ts';
import { builderSchema } from './builder.ts';
import { argumentValue, arrayOf, boolean, describe, hash, hashOf, integer, requiredString, stringish } from './common.ts';
import { documentAs } from './dispatch.ts';
import { envSchema } from './env.ts';
import { loggingSchema } from './logging.ts';
import { proxySchema } from './proxy.ts';
import { registrySchema } from './registry.ts';
import { serversSchema } from './role.ts';
import { sextantSchema } from './sextant.ts';
import { sshkitSchema, sshSchema } from './ssh.ts';

/** A section Kamal reads as `{}` when it is missing (so its own required keys are reported). */
function emptyWhenMissing<S extends z.ZodType>(schema: S) {
  return documentAs(
    z.unknown().transform((input, ctx): z.output<S> => {
      const result = schema.safeParse(input === undefined ? {} : input);
      if (result.success) return result.data as z.output<S>;
      for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: undefined } as never);
      return z.NEVER;
    }),
    schema,
  );
}

export const SERVICE_NAME = /^[a-z0-9_-]+$/i;

/** The whole of `config/deploy.yml` after `x-` keys other than `x-sextant` have been set aside. */
export const deploySchema = () =>
  hash({
    service: describe(requiredString('service'), {
      description: 'Name of the app: prefix of container names and the `service` label.',
      rules: ['required', 'letters, digits, - and _ only'],
    }),
    image: describe(requiredString('image'), { description: 'Image name, without the registry server.', rules: ['required'] }),
    labels: describe(hashOf(argumentValue()), { description: 'Extra labels for every app container.' }).optional(),
    volumes: describe(arrayOf(stringish()), { description: 'Extra `--volume` mounts for every app container.' }).optional(),
    registry: describe(emptyWhenMissing(registrySchema()), {
      description: 'Registry the image is pushed to and pulled from.',
      rules: ['required: username and password, unless server is `localhost:<port>` (a local registry)'],
    }),
    servers: describe(serversSchema(), {
      description: 'Hosts to deploy to: a list (all in role `web`) or a hash of role name → hosts or role settings.',
      rules: ['required unless accessories are given'],
    }).optional(),
    env: describe(envSchema({ tags: true }), {
      description: 'Environment of the app containers: a hash of clear values, or `clear`, `secret` and `tags`.',
    }).optional(),
    asset_path: describe(stringish(), {
      description: 'Path of the assets inside the image; when set, old and new assets are served side by side during a deploy.',
    }).optional(),
    hooks_path: describe(stringish(), { description: 'Directory holding the hook scripts.', default: '.kamal/hooks' }).optional(),
    secrets_path: describe(stringish(), {
      description: 'Base path of the secrets files (Kamal 2.7): `<path>-common`, then `<path>` or `<path>.<destination>`.',
      default: '.kamal/secrets',
    }).optional(),
    error_pages_path: describe(stringish(), {
      description: 'Local directory with `4xx.html`/`5xx.html` pages for kamal-proxy to serve.',
    }).optional(),
    require_destination: describe(boolean(), {
      description: 'Refuse to run without `-d <destination>`.',
      default: false,
    }).optional(),
    primary_role: describe(stringish(), { description: 'Role whose first host is the primary host.', default: 'web' }).optional(),
    allow_empty_roles: describe(boolean(), { description: 'Allow roles that have no hosts.', default: false }).optional(),
    retain_containers: describe(integer(), {
      description: 'How many old containers and images to keep when pruning.',
      default: 5,
      rules: ['at least 1'],
    }).optional(),
    minimum_version: describe(stringish(), { description: 'Oldest Kamal version allowed to deploy this config.' }).optional(),
    readiness_delay: describe(integer(), {
      description: 'Seconds a container without proxy or health check must keep running to count as ready.',
      default: 7,
    }).optional(),
    deploy_timeout: describe(integer(), { description: 'Seconds a new container has to become healthy.', default: 30 }).optional(),
    drain_timeout: describe(integer(), { description: 'Seconds an old container gets to finish its requests.', default: 30 }).optional(),
    stop_timeout: describe(integer(), {
      description: '`docker stop -t` seconds for app containers (Kamal 2.12); a role may set its own. Without it: drain_timeout for roles without the proxy, docker\'s default for proxied roles.',
    }).optional(),
    run_directory: describe(stringish(), {
      description: 'Accepted for compatibility and ignored: the run directory is always `.kamal`.',
      default: '.kamal',
    }).optional(),
    ssh: describe(sshSchema(), { description: 'SSH connection settings.' }).optional(),
    builder: describe(emptyWhenMissing(builderSchema()), { description: 'How the image is built.', rules: ['required: arch'] }),
    accessories: describe(hashOf(accessorySchema()), { description: 'Services run beside the app, by name.' }).optional(),
    proxy: describe(proxySchema(), {
      description: 'kamal-proxy settings for the roles behind it.',
      rules: ['a hash (true/false are not allowed here)'],
    }).optional(),
    sshkit: describe(sshkitSchema(), { description: 'SSH connection pool settings.' }).optional(),
    boot: describe(bootSchema(), { description: 'Rolling boot settings.' }).optional(),
    logging: describe(loggingSchema(), { description: 'Docker logging for app containers.' }).optional(),
    aliases: describe(aliasesSchema(), { description: 'Command aliases.' }).optional(),
    'x-sextant': describe(sextantSchema(), {
      description: "Sextant's own settings (Kamal ignores keys starting with x-).",
    }).optional(),
  });

export type DeploySection = z.output<ReturnType<typeof deploySchema>>;
