// The generated JSON Schema is what editors check deploy.yml against, so it must agree with the
// loader: every config the loader accepts validates, and the type and unknown-key mistakes the
// loader refuses are refused by the schema too. Checked with a real validator (ajv, draft 2020-12).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { deployJsonSchema, loadConfig, readConfigFiles } from '../../../src/config/index.ts';
import { malformedCases } from './malformed-cases.ts';
import { tempProject } from './temp-project.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(deployJsonSchema());
const problems = () => (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');

// Every deploy config under these folders, as [folder, file, destination?]: `x.dest.yml` beside
// `x.yml` is a destination file of `x.yml`.
function configsUnder(dir: string): Array<[string, string, string | undefined]> {
  const found: Array<[string, string, string | undefined]> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...configsUnder(join(dir, entry.name)));
  }
  const ymls = readdirSync(dir).filter((f) => f.endsWith('.yml'));
  for (const file of ymls) {
    const destination = /^(.+)\.([^.]+)\.yml$/.exec(file);
    if (destination && ymls.includes(`${destination[1]}.yml`)) found.push([dir, `${destination[1]}.yml`, destination[2]]);
    else found.push([dir, file, undefined]);
  }
  return found;
}

test('every fixture config the loader accepts validates against the schema (with its destinations)', () => {
  const configs = [...configsUnder(join(repo, 'test/fixtures/config')), ...configsUnder(join(repo, 'test/fixtures/commands')), ...configsUnder(join(repo, 'examples/hello/config'))];
  let checked = 0;
  for (const [dir, configFile, destination] of configs) {
    const options = { cwd: dir, configFile, destination, env: { VERSION: 'v1', APP_HOST: 'app.example.com' } };
    try {
      loadConfig(options);
    } catch {
      continue; // not a config the loader accepts as it stands (it needs another destination or env)
    }
    const { raw } = readConfigFiles(options);
    assert.ok(validate(raw), `${join(dir, configFile)} ${destination ?? ''}: ${problems()}`);
    checked++;
  }
  assert.ok(checked >= 30, `${checked} configs checked`);
});

test("sextant init's deploy.yml stub validates and points editors at the schema", () => {
  const stub = readFileSync(join(repo, 'src/cli/templates/deploy.yml'), 'utf8');
  assert.match(stub.split('\n')[0] as string, /^# yaml-language-server: \$schema=\S+deploy\.schema\.json$/);
  assert.ok(validate(parse(stub)), problems());
});

// Type and unknown-key errors are what a JSON Schema can express; cross-key rules (primary role,
// SSL hosts, boot limits as percentages …) are the loader's alone.
const schemaLevel = malformedCases.filter(
  (c) => c.expect.path !== undefined && typeof c.expect.message === 'string' && /^(should be an? (string|integer|boolean|hash|array)|unknown keys?:)/.test(c.expect.message),
);

test('the type and unknown-key mistakes the loader refuses, the schema refuses too', () => {
  assert.ok(schemaLevel.length >= 30, `${schemaLevel.length} cases`);
  for (const kase of schemaLevel) {
    const project = tempProject(kase.files);
    try {
      let raw: unknown;
      try {
        raw = readConfigFiles({ cwd: project.dir, destination: kase.destination, env: kase.env ?? {} }).raw;
      } catch {
        continue; // unreadable YAML is the loader's to report
      }
      assert.not.ok(validate(raw), `${kase.name}: the schema accepted what the loader refuses (${kase.expect.path}: ${String(kase.expect.message)})`);
    } finally {
      project.cleanup();
    }
  }
});

test.run();
