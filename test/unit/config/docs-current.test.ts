import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configurationReference } from '../../../src/config/index.ts';

// docs/configuration.md is generated from the zod schemas; this fails when someone changes a
// schema and forgets `npm run docs`.
test('docs/configuration.md matches the schemas (run `npm run docs` to refresh it)', () => {
  const file = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.is(file.trimEnd(), configurationReference().trimEnd());
});

test('the reference covers every top-level key of the schema', async () => {
  const { deployJsonSchema } = await import('../../../src/config/index.ts');
  const schema = deployJsonSchema() as { properties: Record<string, unknown> };
  const reference = configurationReference();
  for (const key of Object.keys(schema.properties)) assert.ok(reference.includes(`| \`${key}\``), `${key} documented`);
});

test.run();
