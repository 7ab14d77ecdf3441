// The generated JSON Schema is what editors check deploy.yml against, so it must agree with the
// loader: every config the loader accepts validates, and the type and unknown-key mistakes the
// loader refuses are refused by the schema too. Checked with a real validator (ajv, draft 2020-12).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

// Every deploy config fixture, each checked: [config file, destination?] relative to the repo.
// A fixture the loader refuses fails the test unless it is in INTENTIONALLY_INVALID with the reason.
const FIXTURES: Array<[string, string?]> = [
  ['test/fixtures/config/accessories/config/deploy.yml'],
  ['test/fixtures/config/accessory-only/config/deploy.yml'],
  ['test/fixtures/config/boot/config/deploy.yml'],
  ['test/fixtures/config/destinations/config/deploy.yml'],
  ['test/fixtures/config/destinations/config/deploy.yml', 'staging'],
  ['test/fixtures/config/env-tags/config/deploy.yml'],
  ['test/fixtures/config/everything/config/deploy.yml'],
  ['test/fixtures/config/proxy/config/deploy.yml'],
  ['test/fixtures/config/roles/config/deploy.yml'],
  ['test/fixtures/commands/a/config/assets.yml'],
  ['test/fixtures/commands/a/config/deploy.yml'],
  ['test/fixtures/commands/a/config/deploy.yml', 'staging'],
  ['test/fixtures/commands/a/config/drain.yml'],
  ['test/fixtures/commands/a/config/full-proxy.yml'],
  ['test/fixtures/commands/a/config/full-proxy.yml', 'staging'],
  ['test/fixtures/commands/a/config/hey.yml'],
  ['test/fixtures/commands/a/config/logging.yml'],
  ['test/fixtures/commands/a/config/options.yml'],
  ['test/fixtures/commands/a/config/proxy-misc.yml'],
  ['test/fixtures/commands/a/config/role-logging.yml'],
  ['test/fixtures/commands/a/config/shop.yml'],
  ['test/fixtures/commands/a/config/ssh-command.yml'],
  ['test/fixtures/commands/a/config/ssh-jump.yml'],
  ['test/fixtures/commands/a/config/ssh-keys.yml'],
  ['test/fixtures/commands/a/config/ssl-false.yml'],
  ['test/fixtures/commands/a/config/ssl-hosts.yml'],
  ['test/fixtures/commands/a/config/ssl.yml'],
  ['test/fixtures/commands/a/config/tags.yml'],
  ['test/fixtures/commands/a/config/volumes.yml'],
  ['test/fixtures/commands/b/accessory-cart.yml'],
  ['test/fixtures/commands/b/accessory-logging.yml'],
  ['test/fixtures/commands/b/accessory-proxy.yml'],
  ['test/fixtures/commands/b/accessory-proxy.yml', 'staging'],
  ['test/fixtures/commands/b/accessory.yml'],
  ['test/fixtures/commands/b/base.yml'],
  ['test/fixtures/commands/b/base.yml', 'production'],
  ['test/fixtures/commands/b/base.yml', 'staging'],
  ['test/fixtures/commands/b/builder-cloud.yml'],
  ['test/fixtures/commands/b/builder-docker-driver.yml'],
  ['test/fixtures/commands/b/builder-false.yml'],
  ['test/fixtures/commands/b/builder-gha.yml'],
  ['test/fixtures/commands/b/builder-hybrid.yml'],
  ['test/fixtures/commands/b/builder-options.yml'],
  ['test/fixtures/commands/b/builder-registry-cache.yml'],
  ['test/fixtures/commands/b/builder-registry-cache.yml', 'staging'],
  ['test/fixtures/commands/b/builder-remote-arch.yml'],
  ['test/fixtures/commands/b/builder-remote.yml'],
  ['test/fixtures/commands/b/builder.yml'],
  ['test/fixtures/commands/b/facts-example.yml'],
  ['test/fixtures/commands/b/hooks.yml'],
  ['test/fixtures/commands/b/registry-secrets.yml'],
  ['test/fixtures/commands/b/registry.yml'],
  ['test/fixtures/commands/b/shop.yml'],
  ['examples/hello/config/deploy.yml'],
];

// `file` or `file destination` → why the loader refuses it on purpose (none today).
const INTENTIONALLY_INVALID: Record<string, string> = {};

const ENV = { VERSION: 'v1', APP_HOST: 'app.example.com' };
const label = ([file, destination]: [string, string?]) => (destination ? `${file} ${destination}` : file);

// Every deploy config on disk under the fixture folders, as [file, destination?]: `x.dest.yml`
// beside `x.yml` is a destination file of `x.yml`. Only to check that FIXTURES misses none.
function configsUnder(dir: string): Array<[string, string?]> {
  const found: Array<[string, string?]> = [];
  for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...configsUnder(join(dir, entry.name)));
  }
  const ymls = readdirSync(join(repo, dir)).filter((f) => f.endsWith('.yml'));
  for (const file of ymls) {
    const destination = /^(.+)\.([^.]+)\.yml$/.exec(file);
    if (destination && ymls.includes(`${destination[1]}.yml`)) found.push([join(dir, `${destination[1]}.yml`), destination[2] as string]);
    else found.push([join(dir, file)]);
  }
  return found;
}

test('the fixture list names every deploy config under the fixture folders', () => {
  const onDisk = ['test/fixtures/config', 'test/fixtures/commands', 'examples/hello/config'].flatMap(configsUnder).map(label).sort();
  assert.equal([...FIXTURES.map(label)].sort(), onDisk);
  for (const name of Object.keys(INTENTIONALLY_INVALID)) assert.ok(onDisk.includes(name), `INTENTIONALLY_INVALID names ${name}, which is not a fixture`);
});

for (const fixture of FIXTURES) {
  const [file, destination] = fixture;
  const reason = INTENTIONALLY_INVALID[label(fixture)];
  test(`${label(fixture)}: ${reason ? `refused by the loader on purpose (${reason})` : 'loads, and validates against the schema'}`, () => {
    const options = { cwd: join(repo, dirname(file)), configFile: basename(file), destination, env: ENV };
    if (reason) {
      assert.throws(() => loadConfig(options), undefined, `${label(fixture)} is listed as invalid (${reason}) but loads`);
      return;
    }
    loadConfig(options); // throws, failing the test, when the loader refuses it
    const { raw } = readConfigFiles(options);
    assert.ok(validate(raw), `${label(fixture)}: ${problems()}`);
  });
}

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

// Cases whose file the loader refuses as a whole before any merge (so readConfigFiles has no raw
// config to give): their deploy.yml is parsed here and checked as it stands.
const WHOLE_FILE_REFUSED = new Set(['empty file', 'top level list']);

test('the type and unknown-key mistakes the loader refuses, the schema refuses too (every one of them)', () => {
  assert.ok(schemaLevel.length >= 30, `${schemaLevel.length} cases`);
  for (const kase of schemaLevel) {
    const project = tempProject(kase.files);
    try {
      let raw: unknown;
      if (WHOLE_FILE_REFUSED.has(kase.name)) {
        assert.throws(() => readConfigFiles({ cwd: project.dir, destination: kase.destination, env: kase.env ?? {} }), undefined, `${kase.name}: the loader refuses the file`);
        raw = parse(kase.files['config/deploy.yml'] ?? '') ?? null;
      } else {
        raw = readConfigFiles({ cwd: project.dir, destination: kase.destination, env: kase.env ?? {} }).raw;
      }
      assert.not.ok(validate(raw), `${kase.name}: the schema accepted what the loader refuses (${kase.expect.path}: ${String(kase.expect.message)})`);
    } finally {
      project.cleanup();
    }
  }
  for (const name of WHOLE_FILE_REFUSED) assert.ok(schemaLevel.some((c) => c.name === name), `WHOLE_FILE_REFUSED names ${name}, which is not a schema-level case`);
});

test.run();
