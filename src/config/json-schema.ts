import { z } from 'zod';
import { documentedAs } from './schema/dispatch.ts';
import { deploySchema } from './schema/root.ts';

type JsonObject = Record<string, unknown>;

function withoutDialect(schema: JsonObject): JsonObject {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function generate(schema: z.ZodType): JsonObject {
  return z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    reused: 'inline',
    override: (ctx) => {
      // zod leaves out `default` metadata of transforming schemas in input mode; put it back.
      const meta = z.globalRegistry.get(ctx.zodSchema as unknown as z.ZodType) as JsonObject | undefined;
      const own = ctx.jsonSchema as JsonObject;
      if (meta?.['default'] !== undefined && own['default'] === undefined) own['default'] = meta['default'];
      // Schemas that pick their form from the value are shown as the union of their forms.
      const documented = documentedAs(ctx.zodSchema);
      if (!documented) return;
      const keep = { description: own['description'], default: own['default'], 'x-rules': own['x-rules'] };
      for (const key of Object.keys(own)) delete own[key];
      Object.assign(own, withoutDialect(generate(documented)));
      for (const [key, value] of Object.entries(keep)) if (value !== undefined) own[key] = value;
    },
  }) as JsonObject;
}

/**
 * JSON Schema (draft 2020-12) of config/deploy.yml, generated from the same zod schemas that
 * validate it: descriptions, defaults, `additionalProperties: false` where Kamal refuses unknown
 * keys, and top-level `x-` extension keys allowed.
 */
export function deployJsonSchema(): JsonObject {
  const schema = generate(deploySchema());
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  for (const key of ['service', 'image', 'registry', 'builder']) required.add(key);
  const registry = (schema['properties'] as Record<string, JsonObject> | undefined)?.['registry'];
  if (registry) registry['required'] = ['username', 'password'];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sextant.dev/schemas/deploy.json',
    title: 'Sextant / Kamal 2.6 deploy configuration (config/deploy.yml)',
    ...withoutDialect(schema),
    required: [...required],
    patternProperties: { '^x-': { description: 'Extension: ignored by Kamal (x-sextant is read by Sextant).' } },
  };
}
