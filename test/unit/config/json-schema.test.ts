import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configurationReference, deployJsonSchema } from '../../../src/config/index.ts';

type Node = Record<string, any>;
const schema = deployJsonSchema() as Node;

const ROOT_KEYS = [
  'service', 'image', 'labels', 'volumes', 'registry', 'servers', 'env', 'asset_path', 'hooks_path', 'error_pages_path',
  'secrets_path', 'require_destination', 'primary_role', 'allow_empty_roles', 'retain_containers', 'minimum_version', 'readiness_delay',
  'deploy_timeout', 'drain_timeout', 'stop_timeout', 'run_directory', 'ssh', 'builder', 'accessories', 'proxy', 'sshkit', 'boot', 'logging',
  'aliases', 'x-sextant',
];

test('JSON Schema: draft 2020-12, every root key, x- keys allowed, others refused', () => {
  assert.is(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(Object.keys(schema['properties']).sort(), [...ROOT_KEYS].sort());
  assert.is(schema['additionalProperties'], false);
  assert.ok(schema['patternProperties']['^x-']);
  assert.equal([...schema['required']].sort(), ['builder', 'image', 'registry', 'service']);
  assert.ok(JSON.parse(JSON.stringify(schema)), 'serializable');
});

test('JSON Schema: every root key has a description; nested hashes forbid unknown keys', () => {
  for (const key of ROOT_KEYS) assert.type(schema['properties'][key]['description'], 'string', `${key} has no description`);
  const proxy = schema['properties']['proxy'];
  assert.is(proxy['additionalProperties'], false);
  assert.is(proxy['properties']['healthcheck']['additionalProperties'], false);
  assert.is(proxy['properties']['app_port']['default'], 80);
  assert.is(proxy['properties']['app_port']['type'], 'integer');
  const ssh = schema['properties']['ssh'];
  assert.is(ssh['properties']['user']['default'], 'root');
  assert.is(schema['properties']['builder']['additionalProperties'], false);
  assert.is(schema['properties']['builder']['properties']['driver']['default'], 'docker-container');
  const retry = schema['properties']['x-sextant']['properties']['retry'];
  assert.is(retry['properties']['attempts']['default'], 4);
  assert.is(retry['properties']['attempts']['minimum'], 1);
  assert.is(retry['additionalProperties'], false);
});

test('JSON Schema: env documents both forms; registry credentials are a string or one-item list', () => {
  const env = schema['properties']['env'];
  assert.is(env['anyOf'].length, 2);
  assert.ok(env['anyOf'][1]['properties']['tags'], 'root env has tags');
  const username = schema['properties']['registry']['properties']['username'];
  assert.equal(username['anyOf'][0], { type: 'string' });
  assert.is(username['anyOf'][1]['maxItems'], 1);
  const accessory = schema['properties']['accessories']['additionalProperties'];
  assert.is(accessory['additionalProperties'], false);
  assert.not.ok(accessory['properties']['env']['anyOf'][1]['properties']['tags'], 'accessory env has no tags');
});

test('docs: a Markdown table row for every key path with type and default', () => {
  const markdown = configurationReference();
  assert.ok(markdown.startsWith('# Configuration reference'));
  for (const path of [
    'service', 'servers/<role>/hosts', 'servers/<role>/proxy', 'accessories/<name>/tags', 'proxy/healthcheck/path',
    'proxy/buffering/max_request_body', 'builder/cache/type', 'env/tags', 'ssh/key_data', 'sshkit/pool_idle_timeout',
    'boot/limit', 'x-sextant/retry/max_delay', 'aliases', 'logging/options',
  ]) {
    assert.ok(markdown.includes(`| \`${path}\` |`), `no row for ${path}`);
  }
  assert.match(markdown, /\| `proxy\/app_port` \| integer \| `80` \|/);
  assert.match(markdown, /\| `hooks_path` \| string \| `".kamal\/hooks"` \|/);
  assert.match(markdown, /\| `builder\/arch` \| string or array of string \|/);
  assert.is(configurationReference(), markdown, 'stable output');
});

test.run();
