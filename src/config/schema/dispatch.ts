import { z } from 'zod';

// Kamal decides how to read some sections by looking at the value first (an env with `clear`,
// `secret` or `tags` keys is the "complex" form, anything else is a plain hash). A zod union would
// report errors from the wrong form, so these schemas pick the form first and validate with it.
// For the JSON Schema each one is documented by an ordinary union of its forms.

const documentation = new WeakMap<object, z.ZodType>();

export function dispatch<T>(describedAs: z.ZodType, pick: (input: unknown) => z.ZodType<T>): z.ZodType<T, unknown> {
  const schema = z.unknown().transform((input, ctx): T => {
    const result = pick(input).safeParse(input);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: undefined } as never);
    return z.NEVER;
  });
  return documentAs(schema as unknown as z.ZodType<T, unknown>, describedAs);
}

/** Records `describedAs` as the schema to show in the JSON Schema in place of `schema`. */
export function documentAs<S extends z.ZodType>(schema: S, describedAs: z.ZodType): S {
  documentation.set(schema, describedAs);
  return schema;
}

/** The union that documents a dispatching schema, if `schema` is one. */
export function documentedAs(schema: object): z.ZodType | undefined {
  return documentation.get(schema);
}
