import { z } from 'zod';
import { describe, hash, stringish } from './common.ts';
import { isHash } from '../merge.ts';
import { documentAs } from './dispatch.ts';

const CREDENTIAL_MESSAGE = 'should be a string or an array with one string (for secret lookup)';

/** A credential as written: a literal string, or a one-item list naming a secret. */
export type Credential = { value: string } | { secret: string };

const documentedCredential = (what: string) =>
  describe(z.union([z.string(), z.array(z.string()).length(1)]), {
    description: `Registry ${what}: a string, or a one-item list holding the name of a secret to look up.`,
    rules: ['required, except for a local registry (`server: localhost:<port>`)'],
  });

// Kamal requires a real String here (numbers are refused), or a list with exactly one String.
// A missing value is reported by the registry hash (a local registry needs none).
const credential = (what: string) =>
  documentAs(z.unknown().transform((value, ctx): Credential | undefined => {
    if (!isPresent(value)) return undefined;
    if (typeof value === 'string') return { value };
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return { secret: value[0] };
    ctx.issues.push({ code: 'custom', message: CREDENTIAL_MESSAGE, input: value });
    return z.NEVER;
  }), documentedCredential(what));

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0) && !(isHash(value) && Object.keys(value).length === 0);
}

/** Kamal 2.8's test for a local registry: the server starts with `localhost:`. */
export const LOCAL_REGISTRY = /^localhost:/;

/** `registry:` — where images are pushed and pulled, and the login for it. */
export const registrySchema = () =>
  hash({
    server: describe(stringish(), {
      description:
        'Registry host (and port). Omit it for Docker Hub. `localhost:<port>` without username and password is a local registry (Kamal 2.8): Sextant runs it on the local docker and the servers pull through an SSH reverse tunnel.',
    }).optional(),
    username: credential('user name').optional(),
    password: credential('password').optional(),
  }).superRefine((registry, ctx) => {
    // With a login, a localhost server is an ordinary registry, as in Kamal 2.6.0.
    const local = registry.server !== undefined && LOCAL_REGISTRY.test(registry.server) && registry.username === undefined && registry.password === undefined;
    if (local) return;
    for (const key of ['username', 'password'] as const) {
      if (registry[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required' });
    }
  });

export type RegistrySection = z.output<ReturnType<typeof registrySchema>>;
