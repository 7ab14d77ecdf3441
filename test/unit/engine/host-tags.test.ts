// A host tag that only places an accessory (no env/tags entry for it) is a valid config: Kamal
// 2.6.0 accepts it in `kamal config` and then crashes in `deploy` when it builds the host's env;
// Kamal 2.9.0 skips such a tag, and so does Sextant. The dry-run plan shows the whole deploy
// on the tagged host, its env file holding the root env only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

const DEPLOY_YML = `service: shop
image: acme/shop
servers:
  web:
    - 10.0.5.1
    - 10.0.5.2: db
    - 10.0.5.3: [db, fast]
registry: { server: registry.example.com, username: bot, password: [KAMAL_REGISTRY_PASSWORD] }
env:
  clear: { APP_ENV: production }
  secret: [SECRET_KEY_BASE]
  tags:
    fast: { clear: { THREADS: "9" } }
builder: { arch: amd64 }
accessories:
  pg:
    image: postgres:16
    tag: db
`;

const SECRETS = 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-41aa\nSECRET_KEY_BASE=CANARY-skb-93fe\n';

async function dryRun(argv: string[]): Promise<{ code: number; stderr: string; lines: string[] }> {
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML, '.kamal/secrets': SECRETS });
  try {
    const io = captureIO(project.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    const code = await runCli([...argv, '--dry-run'], io);
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret value in the plan');
    return { code, stderr: io.stderr, lines: io.stdout.split('\n').filter((line) => line.startsWith('[')) };
  } finally {
    project.cleanup();
  }
}

const on = (lines: string[], host: string) => lines.filter((l) => l.startsWith(`[${host}] `)).map((l) => l.slice(host.length + 3));
const appRun = (lines: string[]) => lines.find((l) => l.startsWith('docker run ') && l.includes('--label role="web"'));
// The env options of `docker run`, between Kamal's fixed ones and the env file.
const envOptions = (run: string) => run.slice(run.indexOf('-e KAMAL_VERSION='), run.indexOf(' --env-file'));

test('sextant config accepts a host tag that has no env/tags entry', async () => {
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML, '.kamal/secrets': SECRETS });
  try {
    const io = captureIO(project.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    assert.is(await runCli(['config'], io), 0, io.stderr);
    assert.match(io.stdout, '10.0.5.2');
  } finally {
    project.cleanup();
  }
});

test('deploy boots the app on a host whose tag only places an accessory, with the root env', async () => {
  const result = await dryRun(['deploy', '--skip-push']);
  assert.is(result.code, 0, result.stderr);
  const tagged = on(result.lines, '10.0.5.2');
  const plain = on(result.lines, '10.0.5.1');
  for (const expected of [
    'docker pull registry.example.com/acme/shop:abc1234',
    '/usr/bin/env mkdir -p .kamal/apps/shop/env/roles',
    'upload .kamal/apps/shop/env/roles/web.env (mode 0600, 1 line)',
    'docker tag registry.example.com/acme/shop:abc1234 registry.example.com/acme/shop:latest',
  ]) {
    assert.ok(tagged.includes(expected), `10.0.5.2 lacks ${expected}:\n${tagged.join('\n')}`);
  }
  const taggedRun = appRun(tagged);
  const plainRun = appRun(plain);
  assert.ok(taggedRun && plainRun, tagged.join('\n'));
  assert.match(taggedRun, '--name shop-web-abc1234 ');
  assert.match(taggedRun, ' --env-file .kamal/apps/shop/env/roles/web.env ');
  assert.is(envOptions(taggedRun), envOptions(plainRun), 'the db tag adds no env');
  assert.match(envOptions(taggedRun), '--env APP_ENV="production"');
  assert.not.match(envOptions(taggedRun), 'THREADS');
  // A tag that has an entry still adds its env next to one that has none.
  assert.match(envOptions(appRun(on(result.lines, '10.0.5.3')) as string), '--env APP_ENV="production" --env THREADS="9"');
});

test('setup boots the accessory on the hosts carrying its tag, and the app there too', async () => {
  const result = await dryRun(['setup', '--skip-push']);
  assert.is(result.code, 0, result.stderr);
  const accessoryRuns = result.lines.filter((l) => l.includes('docker run --name shop-pg '));
  assert.equal(accessoryRuns.map((l) => l.split(' ')[0]), ['[10.0.5.2]', '[10.0.5.3]']);
  for (const host of ['10.0.5.1', '10.0.5.2', '10.0.5.3']) assert.ok(appRun(on(result.lines, host)), `no app container on ${host}`);
});

test.run();
