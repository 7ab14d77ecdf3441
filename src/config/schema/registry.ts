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
    rules: ['required'],
  });

// Kamal requires a real String here (numbers are refused), or a list with exactly one String.
const credential = (what: string) =>
  documentAs(z.unknown().transform((value, ctx): Credential => {
    const present = value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0) && !(isHash(value) && Object.keys(value).length === 0);
    if (!present) {
      ctx.issues.push({ code: 'custom', message: 'is required', input: value });
      return z.NEVER;
    }
    if (typeof value === 'string') return { value };
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return { secret: value[0] };
    ctx.issues.push({ code: 'custom', message: CREDENTIAL_MESSAGE, input: value });
    return z.NEVER;
  }), documentedCredential(what));

/** `registry:` — where images are pushed and pulled, and the login for it. */
export const registrySchema = () =>
  hash({
    server: describe(stringish(), { description: 'Registry host (and port). Omit it for Docker Hub.' }).optional(),
    username: credential('user name'),
    password: credential('password'),
  });

export type RegistrySection = z.output<ReturnType<typeof registrySchema>>;
