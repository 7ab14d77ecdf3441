import { z } from 'zod';
import { documentAs, documentedAs } from './dispatch.ts';

// Building blocks that read like Kamal's validator: its "String" also takes numbers and booleans,
// an "Integer" must really be one, and every hash rejects keys it does not know.

type Meta = { description: string; default?: unknown; rules?: string[] };

/** Attaches the description, default and extra rules used by the JSON Schema and the docs. */
export function describe<T extends z.ZodType>(schema: T, meta: Meta): T {
  const { rules, ...rest } = meta;
  const described = schema.meta(rules ? { ...rest, 'x-rules': rules } : rest) as T;
  // `.meta()` returns a copy: keep what the original is documented as.
  const documented = documentedAs(schema);
  return documented ? documentAs(described, documented) : described;
}

const scalar = [z.string(), z.number(), z.boolean()] as const;

/** Kamal "String": a string, number or boolean, handed on as a string. */
export const stringish = () =>
  z.union(scalar, { error: 'should be a string' }).transform((value) => String(value));

/**
 * A value that ends up as `key=value` through Kamal's `argumentize`: `false` stays `false`
 * (written bare as `key=false`), everything else becomes a string (empty string → bare `key`).
 */
export const argumentValue = () =>
  z
    .union(scalar, { error: 'should be a string' })
    .transform((value): string | false => (value === false ? false : String(value)));

export const integer = () => z.int();
export const boolean = () => z.boolean();

/** A list whose items all match `item`. */
export const arrayOf = <T extends z.ZodType>(item: T) => z.array(item);

/** A hash of arbitrary keys to values matching `value` (`labels`, `env.clear`, `aliases`). */
export const hashOf = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

/** A hash with a fixed set of keys; any other key is reported as `unknown key: …`. */
export const hash = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape);

const optionScalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * Free-form docker options (`options:`, `builder.args`, `logging.options`): Kamal only checks
 * they form a hash. Values may be scalars or lists of scalars (a list repeats the option).
 */
export const freeHash = () =>
  z.record(z.string(), z.union([optionScalar, z.array(optionScalar)], { error: 'should be a string or an array' }));

/** A hash whose values are single scalars (`logging.options`, `builder.args`): each becomes `key=value`. */
export const scalarHash = () =>
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'should be a string' }).transform(
    (value): string | false | null => (value === false || value === null ? value : String(value)),
  ));

/** Kamal "String" that must be there: a missing value gets Kamal's "Missing required configuration" text. */
export const requiredString = (key: string) =>
  z
    .union(scalar, {
      error: (issue) => (issue.input === undefined || issue.input === null ? `Missing required configuration for ${key}` : 'should be a string'),
    })
    .transform((value) => String(value));

/** Kamal's check on docker `options:` of roles and accessories. */
export function refuseRestartOption(options: Record<string, unknown> | undefined, ctx: z.RefinementCtx): void {
  const restart = options?.['restart'];
  if (restart !== undefined && restart !== null && restart !== false) {
    ctx.addIssue({ code: 'custom', message: DOCKER_RESTART_MESSAGE, path: [] });
  }
}

/** A host entry: `"1.1.1.1"`, `{"1.1.1.1": tag}` or `{"1.1.1.1": [tag, …]}`. */
export const hostEntry = () =>
  z.union(
    [
      z.string(),
      z.number(),
      z
        .record(z.string(), z.union([stringish(), z.array(stringish())], { error: 'should be a string or an array' }))
        .superRefine((value, ctx) => {
          if (Object.keys(value).length !== 1) ctx.addIssue({ code: 'custom', message: 'multiple hosts found' });
        }),
    ],
    { error: 'should be a string or a hash' },
  ).meta({ title: 'host entry', description: 'A host: `1.1.1.1`, `{1.1.1.1: tag}` or `{1.1.1.1: [tag, …]}`.' });

/** A list of host entries (`servers:` as a list, a role's `hosts:`). */
export const hostList = () => z.array(hostEntry());

export const DOCKER_RESTART_MESSAGE = 'Cannot set restart policy in docker options, unless-stopped is required';
