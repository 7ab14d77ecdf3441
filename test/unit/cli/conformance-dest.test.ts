// Dry-run plans for destinations, env tags with aliased secrets, and accessory-only configs,
// checked against Kamal 2.6.0's source (configuration.rb, configuration/role.rb, configuration/env.rb,
// commander/specifics.rb, cli/base.rb, cli/main.rb, commands/lock.rb, commands/auditor.rb) and
// Thor 1.3's option parser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';
import { canariesIn, leakedSecrets } from '../secrets/canary.ts';

// web and workers on their own hosts plus an accessory host; the staging file moves web to two
// other hosts, keeps workers (a hash role is merged key by key) and moves the accessory.
const BASE = `service: quill
image: acme/quill
servers:
  web: [10.0.7.1]
  workers:
    hosts: [10.0.7.2]
    cmd: bin/jobs
registry: { server: registry.example.com, username: quillbot, password: [KAMAL_REGISTRY_PASSWORD] }
env:
  clear: { APP_ENV: production }
  secret: [SECRET_KEY_BASE]
proxy: { host: quill.example.com, app_port: 3000 }
builder: { arch: amd64 }
accessories:
  cache: { image: "redis:7.2", host: 10.0.7.3 }
`;
const STAGING = `servers:
  web: [10.0.7.11, 10.0.7.12]
env:
  clear: { APP_ENV: staging }
proxy: { host: staging.quill.example.com }
accessories:
  cache: { host: 10.0.7.13 }
`;

// No servers at all: only accessories, one of them behind kamal-proxy.
const ACCESSORY_ONLY = `service: vault
image: acme/vault
registry: { server: registry.example.com, username: vaultbot, password: [KAMAL_REGISTRY_PASSWORD] }
builder: { arch: amd64 }
accessories:
  redis: { image: "redis:7.2", host: 10.0.8.1, directories: ["data:/data"] }
  search:
    image: getmeili/meilisearch:v1.7
    host: 10.0.8.2
    proxy: { host: search.example.com, app_port: 7700 }
`;

const SECRETS = {
  '.kamal/secrets-common': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-5d1c\n',
  '.kamal/secrets.staging': 'SECRET_KEY_BASE=CANARY-skb-staging-77e0\n',
  '.kamal/secrets': 'SECRET_KEY_BASE=CANARY-skb-base-0b9a\n',
};

interface Plan {
  code: number;
  stderr: string;
  // `[host] line` per command; the lock's multi-line echo is kept whole; audit timestamps and the
  // performer become `[<TS>] [<USER>]`.
  lines: string[];
}

async function plan(files: Record<string, string>, argv: string[]): Promise<Plan> {
  const p = tempProject({ ...SECRETS, ...files });
  try {
    mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    const code = await runCli([...argv, '--dry-run'], io);
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret value in the plan');
    assert.equal(leakedSecrets(io.stdout + io.stderr, canariesIn(Object.values({ ...SECRETS, ...files }))), [], 'no secret value in the plan, base64 included');
    const lines: string[] = [];
    let open = false;
    for (const line of io.stdout.split('\n')) {
      if (open) lines[lines.length - 1] += `\n${line}`;
      else if (line.startsWith('[')) lines.push(line.trimEnd());
      else continue;
      open = ((lines[lines.length - 1] as string).match(/"/g) ?? []).length % 2 === 1;
    }
    const normalized = lines.map((l) => l.replace(/\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]*\]/, '[<TS>] [<USER>]'));
    return { code, stderr: io.stderr, lines: normalized };
  } finally {
    p.cleanup();
  }
}

const on = (lines: string[], host: string) => lines.filter((l) => l.startsWith(`[${host}] `)).map((l) => l.slice(host.length + 3));
const lockDetails = (lines: string[]) => lines.filter((l) => l.includes('/details'));
const audit = (file: string, tags: string, message: string) =>
  `/usr/bin/env mkdir -p .kamal && echo "[<TS>] [<USER>]${tags} ${message}" >> .kamal/${file}`;

// --- `-d=staging`: Thor's EQ_RE also joins a single-letter switch to its value ----------------

test('-d=staging, --destination=staging and -d staging pick the same destination', async () => {
  const files = { 'config/deploy.yml': BASE, 'config/deploy.staging.yml': STAGING };
  const forms = [['-d=staging'], ['--destination=staging'], ['--destination', 'staging'], ['-d', 'staging']];
  const plans = await Promise.all(forms.map((form) => plan(files, ['lock', 'acquire', '-m', 'freeze', ...form])));
  for (const [i, result] of plans.entries()) {
    assert.is(result.code, 0, `${forms[i]?.join(' ')}\n${result.stderr}`);
    assert.equal(
      result.lines.filter((l) => !l.includes('/details')),
      ['[10.0.7.11] /usr/bin/env mkdir -p .kamal', '[10.0.7.12] /usr/bin/env mkdir -p .kamal', '[10.0.7.2] /usr/bin/env mkdir -p .kamal', '[10.0.7.13] /usr/bin/env mkdir -p .kamal'],
      forms[i]?.join(' '),
    );
    assert.equal(lockDetails(result.lines).length, 1);
    assert.match(lockDetails(result.lines)[0] as string, /^\[10\.0\.7\.11\] \/usr\/bin\/env mkdir \.kamal\/lock-quill-staging && echo "/);
  }
});

test('-r=workers and -c=path are read as Thor reads them', async () => {
  const result = await plan({ 'config/other.yml': BASE, 'config/other.staging.yml': STAGING }, ['app', 'boot', '-r=workers', '-c=config/other.yml', '-d=staging']);
  assert.is(result.code, 0, result.stderr);
  assert.equal(on(result.lines, '10.0.7.11'), [], 'only the workers host');
  assert.ok(result.lines.some((l) => l.startsWith('[10.0.7.2] docker run ') && l.includes('--name quill-workers-staging-latest-staging ')));
});

// --- main `remove` (cli/main.rb): app, proxy, accessories and a remote logout under one lock ----

test('remove -y -d staging: app remove, proxy remove, accessory remove all, logout, one lock', async () => {
  const result = await plan({ 'config/deploy.yml': BASE, 'config/deploy.staging.yml': STAGING }, ['remove', '-y', '-d', 'staging']);
  assert.is(result.code, 0, result.stderr);
  const file = 'quill-staging-audit.log';
  const running = (role: string, format: string) =>
    `/usr/bin/env sh -c 'docker ps --latest ${format} --filter label=service=quill --filter label=destination=staging --filter label=role=${role} --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=registry.example.com/acme/quill:latest-staging --format '\\''{{.ID}}'\\'') ; docker ps --latest ${format} --filter label=service=quill --filter label=destination=staging --filter label=role=${role} --filter status=running --filter status=restarting' | head -1`;
  const proxyRemoval = [
    '/usr/bin/env ls .kamal/apps | wc -l',
    audit(file, ' [staging]', 'Stopped proxy'),
    'docker container stop kamal-proxy',
    audit(file, ' [staging]', 'Removed proxy container'),
    'docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy',
    audit(file, ' [staging]', 'Removed proxy image'),
    'docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy',
    '/usr/bin/env rm -r .kamal/proxy',
  ];
  const web = (host: string) => [
    '/usr/bin/env mkdir -p .kamal',
    audit(file, ' [staging] [web]', 'Stopped app'),
    `${running('web', "--format '\\''{{.Names}}'\\''")} | while read line; do echo \${line#quill-web-staging-}; done`,
    'docker container ls --all --filter name=^quill-web-staging-$ --quiet',
    `${running('web', '--quiet')} | xargs docker stop`,
    audit(file, ' [staging] [web]', 'Removed all app containers'),
    'docker container prune --force --filter label=service=quill --filter label=destination=staging --filter label=role=web',
    audit(file, ' [staging]', 'Removed all app images'),
    'docker image prune --all --force --filter label=service=quill',
    audit(file, ' [staging] [web]', 'Removed .kamal/apps/quill-staging'),
    '/usr/bin/env rm -r .kamal/apps/quill-staging',
    audit(file, ' [staging]', 'Removed .kamal/apps/quill-staging'),
    '/usr/bin/env rm -r .kamal/proxy/apps-config/quill-staging',
    ...proxyRemoval,
    'docker logout registry.example.com',
  ];
  const lockOn11 = on(result.lines, '10.0.7.11');
  assert.match(lockOn11[1] as string, /^\/usr\/bin\/env mkdir \.kamal\/lock-quill-staging && echo "/);
  assert.equal([lockOn11[0], ...lockOn11.slice(2, -1)], web('10.0.7.11'));
  assert.is(lockOn11[lockOn11.length - 1], '/usr/bin/env rm .kamal/lock-quill-staging/details && rm -r .kamal/lock-quill-staging');
  assert.equal(on(result.lines, '10.0.7.12'), web('10.0.7.12'));
  assert.equal(on(result.lines, '10.0.7.2'), [
    '/usr/bin/env mkdir -p .kamal',
    audit(file, ' [staging] [workers]', 'Stopped app'),
    `${running('workers', '--quiet')} | xargs docker stop -t 30`,
    audit(file, ' [staging] [workers]', 'Removed all app containers'),
    'docker container prune --force --filter label=service=quill --filter label=destination=staging --filter label=role=workers',
    audit(file, ' [staging]', 'Removed all app images'),
    'docker image prune --all --force --filter label=service=quill',
    audit(file, ' [staging] [workers]', 'Removed .kamal/apps/quill-staging'),
    '/usr/bin/env rm -r .kamal/apps/quill-staging',
    audit(file, ' [staging]', 'Removed .kamal/apps/quill-staging'),
    '/usr/bin/env rm -r .kamal/proxy/apps-config/quill-staging',
    'docker logout registry.example.com',
  ]);
  assert.equal(on(result.lines, '10.0.7.13'), [
    '/usr/bin/env mkdir -p .kamal',
    audit(file, ' [staging]', 'Stopped cache accessory'),
    'docker container stop quill-cache',
    audit(file, ' [staging]', 'Remove cache accessory container'),
    'docker container prune --force --filter label=service=quill-cache',
    audit(file, ' [staging]', 'Removed cache accessory image'),
    'docker image rm --force redis:7.2',
    '/usr/bin/env rm -rf quill-cache',
    'docker logout registry.example.com',
  ]);
});

// An accessory-only config has no primary host: `on(nil)` runs nowhere, so no lock is taken or
// released, while `ensure_run_directory` still runs on every (accessory) host.
test('remove -y on an accessory-only config: no lock, proxy removal on the proxy accessory host', async () => {
  const result = await plan({ 'config/deploy.yml': ACCESSORY_ONLY }, ['remove', '-y']);
  assert.is(result.code, 0, result.stderr);
  assert.equal(lockDetails(result.lines), []);
  assert.equal(on(result.lines, '10.0.8.1'), [
    '/usr/bin/env mkdir -p .kamal',
    audit('vault-audit.log', '', 'Stopped redis accessory'),
    'docker container stop vault-redis',
    audit('vault-audit.log', '', 'Remove redis accessory container'),
    'docker container prune --force --filter label=service=vault-redis',
    audit('vault-audit.log', '', 'Removed redis accessory image'),
    'docker image rm --force redis:7.2',
    '/usr/bin/env rm -rf vault-redis',
    'docker logout registry.example.com',
  ]);
  assert.equal(on(result.lines, '10.0.8.2'), [
    '/usr/bin/env mkdir -p .kamal',
    '/usr/bin/env ls .kamal/apps | wc -l',
    audit('vault-audit.log', '', 'Stopped proxy'),
    'docker container stop kamal-proxy',
    audit('vault-audit.log', '', 'Removed proxy container'),
    'docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy',
    audit('vault-audit.log', '', 'Removed proxy image'),
    'docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy',
    '/usr/bin/env rm -r .kamal/proxy',
    audit('vault-audit.log', '', 'Stopped search accessory'),
    'docker container stop vault-search',
    'docker container ls --filter name=^vault-search$ --quiet',
    'docker exec kamal-proxy kamal-proxy remove vault-search',
    audit('vault-audit.log', '', 'Remove search accessory container'),
    'docker container prune --force --filter label=service=vault-search',
    audit('vault-audit.log', '', 'Removed search accessory image'),
    'docker image rm --force getmeili/meilisearch:v1.7',
    '/usr/bin/env rm -rf vault-search',
    'docker logout registry.example.com',
  ]);
});

test('lock acquire and prune all on an accessory-only config', async () => {
  const locked = await plan({ 'config/deploy.yml': ACCESSORY_ONLY }, ['lock', 'acquire', '-m', 'maintenance']);
  assert.is(locked.code, 0, locked.stderr);
  assert.equal(locked.lines, ['[10.0.8.1] /usr/bin/env mkdir -p .kamal', '[10.0.8.2] /usr/bin/env mkdir -p .kamal']);
  const pruned = await plan({ 'config/deploy.yml': ACCESSORY_ONLY }, ['prune', 'all']);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.equal(on(pruned.lines, '10.0.8.1'), [
    '/usr/bin/env mkdir -p .kamal',
    audit('vault-audit.log', '', 'Pruned containers'),
    'docker ps -q -a --filter label=service=vault --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done',
    audit('vault-audit.log', '', 'Pruned images'),
    'docker image prune --force --filter label=service=vault',
    "docker image ls --filter label=service=vault --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w \"$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=vault | tr -d '\\n')registry.example.com/acme/vault:latest\\|registry.example.com/acme/vault:<none>\" | while read image tag; do docker rmi $tag; done",
  ]);
});

// --- destinations and env tags on docker run ------------------------------------------------

test('deploy -P -d staging: names, labels, env file path, latest-staging and the merged clear env', async () => {
  const result = await plan({ 'config/deploy.yml': BASE, 'config/deploy.staging.yml': STAGING }, ['deploy', '-P', '-d', 'staging']);
  assert.is(result.code, 0, result.stderr);
  const web = on(result.lines, '10.0.7.12');
  const run = web.find((l) => l.startsWith('docker run --detach')) as string;
  assert.equal(
    run.replace(/--hostname 10\.0\.7\.12-[0-9a-f]{12}/, '--hostname <H>'),
    'docker run --detach --restart unless-stopped --name quill-web-staging-abc1234 --network kamal --hostname <H> -e KAMAL_CONTAINER_NAME="quill-web-staging-abc1234" -e KAMAL_VERSION="abc1234" --env APP_ENV="staging" --env-file .kamal/apps/quill-staging/env/roles/web.env --log-opt max-size="10m" --label service="quill" --label role="web" --label destination="staging" registry.example.com/acme/quill:abc1234',
  );
  assert.ok(web.includes('upload .kamal/apps/quill-staging/env/roles/web.env (mode 0600, 1 line)'));
  assert.ok(web.includes('docker tag registry.example.com/acme/quill:abc1234 registry.example.com/acme/quill:latest-staging'));
  assert.ok(web.some((l) => l.startsWith('docker exec kamal-proxy kamal-proxy deploy quill-web-staging --target="') && l.includes('--host="staging.quill.example.com"')));
  const workers = on(result.lines, '10.0.7.2');
  assert.ok(workers.some((l) => l.startsWith('docker run ') && l.endsWith('--label role="workers" --label destination="staging" registry.example.com/acme/quill:abc1234 bin/jobs')));
  assert.equal(on(result.lines, '10.0.7.1'), [], 'the base web host is replaced');
});

// Role#env(host) = [root, role, *tags].reduce(:merge): clear keys keep their first position and
// take the last value; secrets are a union, and an alias seen again moves nothing.
test('env tags: clear order and values per host and role', async () => {
  const config = `service: tagged
image: acme/tagged
servers:
  web:
    - 10.0.6.1
    - 10.0.6.2: [t1, t2]
  workers:
    hosts:
      - 10.0.6.2
      - 10.0.6.3: t1
    cmd: bin/work
    env:
      clear: { QUEUE: default, REGION: role }
      secret: [API_TOKEN:WORKER_TOKEN]
registry: { server: registry.example.com, username: bot, password: [KAMAL_REGISTRY_PASSWORD] }
env:
  clear: { REGION: root, LOG_LEVEL: info, THREADS: 5, FEATURE: on, DEBUG_SQL: false, EMPTY: "" }
  secret: [API_TOKEN:ROOT_TOKEN]
  tags:
    t1:
      clear: { REGION: t1, T1_ONLY: "yes" }
      secret: [API_TOKEN:T1_TOKEN, T1_SECRET]
    t2: { LOG_LEVEL: debug, REGION: t2 }
proxy: { app_port: 3000 }
builder: { arch: amd64 }
`;
  const secrets = 'KAMAL_REGISTRY_PASSWORD=CANARY-a\nROOT_TOKEN=CANARY-b\nWORKER_TOKEN=CANARY-c\nT1_TOKEN=CANARY-d\nT1_SECRET=CANARY-e\n';
  const result = await plan({ 'config/deploy.yml': config, '.kamal/secrets': secrets }, ['app', 'boot']);
  assert.is(result.code, 0, result.stderr);
  const envArgs = (host: string, role: string) => {
    const run = on(result.lines, host).find((l) => l.startsWith('docker run ') && l.includes(`--label role="${role}"`)) as string;
    return run.slice(run.indexOf('-e KAMAL_VERSION="latest" ') + 26, run.indexOf(' --env-file'));
  };
  const tail = '--env THREADS="5" --env FEATURE="true" --env DEBUG_SQL=false --env EMPTY';
  assert.is(envArgs('10.0.6.1', 'web'), `--env REGION="root" --env LOG_LEVEL="info" ${tail}`);
  assert.is(envArgs('10.0.6.2', 'web'), `--env REGION="t2" --env LOG_LEVEL="debug" ${tail} --env T1_ONLY="yes"`);
  assert.is(envArgs('10.0.6.2', 'workers'), `--env REGION="role" --env LOG_LEVEL="info" ${tail} --env QUEUE="default"`);
  assert.is(envArgs('10.0.6.3', 'workers'), `--env REGION="t1" --env LOG_LEVEL="info" ${tail} --env QUEUE="default" --env T1_ONLY="yes"`);
  assert.ok(on(result.lines, '10.0.6.2').includes('upload .kamal/apps/tagged/env/roles/web.env (mode 0600, 2 lines)'));
  assert.ok(on(result.lines, '10.0.6.3').includes('upload .kamal/apps/tagged/env/roles/workers.env (mode 0600, 2 lines)'));
});

// Boot#start_new_version audits, makes the env directory, and only then reads the host's env for
// the upload. A tag without an env/tags entry crashes Kamal 2.6.0 there; 2.9.0 skips the tag, and
// so does Sextant (test/unit/engine/host-tags.test.ts has the accessory that such a tag places).
test('a host tag without an env/tags entry adds no env: the upload follows the env directory', async () => {
  const config = `service: lone
image: acme/lone
servers:
  web:
    - 10.0.5.1
    - 10.0.5.2: dbhost
registry: { server: registry.example.com, username: bot, password: [KAMAL_REGISTRY_PASSWORD] }
env: { clear: { A: "1" } }
builder: { arch: amd64 }
`;
  const result = await plan({ 'config/deploy.yml': config, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-x\n' }, ['app', 'boot']);
  assert.is(result.code, 0, result.stderr);
  const tagged = on(result.lines, '10.0.5.2');
  const booted = tagged.indexOf(audit('lone-audit.log', ' [web]', 'Booted app version latest'));
  assert.ok(booted > 0, tagged.join('\n'));
  assert.is(tagged[booted + 1], '/usr/bin/env mkdir -p .kamal/apps/lone/env/roles');
  assert.is(tagged[booted + 2], 'upload .kamal/apps/lone/env/roles/web.env (mode 0600, 0 lines)');
  assert.ok(tagged.some((l) => l.startsWith('docker run ') && l.includes('--env A="1" --env-file')), tagged.join('\n'));
});

test.run();
