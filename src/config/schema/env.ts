import { z } from 'zod';
import { argumentValue, arrayOf, describe, hash, hashOf, stringish } from './common.ts';
import { dispatch } from './dispatch.ts';
import { isHash } from '../merge.ts';

/** An env after validation, whichever form it was written in. */
export interface EnvSection {
  clear: Record<string, string | false>;
  /** `NAME` or `NAME:SECRET_NAME` entries, as written. */
  secret: string[];
  tags?: Record<string, EnvSection>;
}

const SPECIAL_KEYS = ['clear', 'secret', 'tags'];

const clearHash = () =>
  describe(hashOf(argumentValue()), {
    description: 'Environment variables passed in clear on the docker command line (`--env KEY="value"`).',
  });

const secretList = () =>
  describe(arrayOf(stringish()), {
    description:
      'Names of secrets (from .kamal/secrets) written to the env file on the host. `NAME:SECRET` sets NAME from the secret SECRET.',
  });

const simpleEnv = () =>
  describe(hashOf(argumentValue()), { description: 'Plain form: every variable is clear.' }).transform(
    (clear): EnvSection => ({ clear, secret: [] }),
  );

function complexEnv(allowTags: boolean) {
  const tags = allowTags
    ? {
        tags: describe(hashOf(z.lazy(() => envSchema({ tags: false }))), {
          description: 'Extra env per host tag (see servers). Each tag takes the plain or the clear/secret form.',
        }).optional(),
      }
    : { tags: z.unknown().optional() };
  return hash({
    clear: clearHash().optional(),
    secret: secretList().optional(),
    ...tags,
  }).transform((value, ctx): EnvSection => {
    if (!allowTags && value.tags !== undefined) {
      ctx.issues.push({ code: 'custom', message: 'tags are only allowed in the root env', input: value, path: [] });
      return z.NEVER;
    }
    const section: EnvSection = { clear: value.clear ?? {}, secret: value.secret ?? [] };
    if (allowTags && value.tags !== undefined) section.tags = value.tags as Record<string, EnvSection>;
    return section;
  });
}

// The plain form as editors see it: any key but the three that select the clear/secret form.
const documentedPlainEnv = () => z.record(z.string().regex(/^(?!(?:clear|secret|tags)$)/), argumentValue());

const documentedEnv = (allowTags: boolean) =>
  z.union([
    documentedPlainEnv(),
    hash({
      clear: clearHash().optional(),
      secret: secretList().optional(),
      ...(allowTags ? { tags: hashOf(z.union([documentedPlainEnv(), hash({ clear: clearHash().optional(), secret: secretList().optional() })])).optional() } : {}),
    }),
  ]);

/**
 * `env:` in either form: a plain hash of clear values, or `clear`/`secret` (and `tags` at the root).
 * Which form applies is decided as Kamal does: by the presence of any of those three keys.
 */
export function envSchema(options: { tags: boolean }): z.ZodType<EnvSection, unknown> {
  const complex = complexEnv(options.tags);
  const simple = simpleEnv();
  return dispatch(documentedEnv(options.tags), (input) => {
    if (isHash(input) && Object.keys(input).some((key) => SPECIAL_KEYS.includes(key))) return complex;
    return simple;
  });
}
