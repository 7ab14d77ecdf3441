// `--dry-run` plans of setup, redeploy, rollback and the read-only commands, against Kamal 2.6.0.
// The config is the example config of KAMAL-FACTS.md section 0, so the exact lines of sections 1–3
// apply as written. Where the fact sheet is silent (audit, details, app version/containers/details),
// the expectations come from Kamal v2.6.0's source and are cited per test.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';
import { canariesIn, leakedSecrets } from '../secrets/canary.ts';

const FACTS_CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1]
  workers: { hosts: [1.1.1.2], cmd: bin/jobs }
registry: { username: dhh, password: [KAMAL_REGISTRY_PASSWORD] }
builder: { arch: amd64 }
env: { clear: { RAILS_LOG_TO_STDOUT: "1" }, secret: [RAILS_MASTER_KEY] }
accessories:
  mysql: { image: "mysql:8.0", host: 1.1.1.2, port: "127.0.0.1:3306:3306",
           env: { clear: { MYSQL_ROOT_HOST: "%" }, secret: [MYSQL_ROOT_PASSWORD] },
           directories: ["data:/var/lib/mysql"] }
`;

// Host sets that tell Kamal's `hosts`, `app_hosts` and `proxy_hosts` apart: 1.1.1.2 runs two roles,
// 1.1.1.3 only an accessory.
const SHAPES_CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1, 1.1.1.2]
  workers: { hosts: [1.1.1.2], cmd: bin/jobs }
registry: { username: dhh, password: [KAMAL_REGISTRY_PASSWORD] }
builder: { arch: amd64 }
accessories:
  redis: { image: "redis:7", host: 1.1.1.3 }
`;

const SECRETS = 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-4b1e\nRAILS_MASTER_KEY=CANARY-mk-90af\nMYSQL_ROOT_PASSWORD=CANARY-root-77c2\n';
const HOOKS = ['pre-connect', 'pre-build', 'pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot'];

function project(config: string) {
  const p = tempProject({ 'config/deploy.yml': config, '.kamal/secrets': SECRETS, Dockerfile: 'FROM scratch\n' });
  mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
  for (const hook of HOOKS) {
    writeFileSync(join(p.dir, '.kamal/hooks', hook), '#!/bin/sh\ntouch "$0.ran"\n');
    chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
  }
  return p;
}

interface Plan {
  stdout: string;
  // One entry per recorded command: `[host] line`, a multi-line command (the lock's base64) kept whole.
  commands: string[];
  on: (host: string) => string[];
  has: (line: string) => boolean;
  index: (line: string | RegExp, from?: number) => number;
  count: (line: string | RegExp) => number;
}

async function dryRun(config: string, argv: string[], env: Record<string, string> = {}): Promise<Plan> {
  const p = project(config);
  try {
    // A VERSION: hooks get KAMAL_VERSION, and outside git Kamal (and Sextant) cannot work one out.
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999', ...env });
    assert.is(await runCli([...argv, '--dry-run'], io), 0, `sextant ${argv.join(' ')} --dry-run\n${io.stderr}`);
    // A dry run touches nothing: no hook ran, no run record, no secret printed.
    for (const hook of HOOKS) assert.not.ok(existsSync(join(p.dir, `.kamal/hooks/${hook}.ran`)), `${hook} did not run`);
    assert.not.ok(existsSync(join(p.dir, '.kamal/runs')), 'a dry run keeps no run record');
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'no secret value in the plan');
    assert.equal(leakedSecrets(io.stdout + io.stderr, canariesIn([SECRETS])), [], 'no secret value in the plan, base64 included');
    const commands: string[] = [];
    let open = false;
    for (const line of io.stdout.split('\n')) {
      if (open) commands[commands.length - 1] += `\n${line}`;
      else if (line.startsWith('[')) commands.push(line);
      else continue;
      // An unclosed double quote: the command goes on on the next line.
      open = ((commands[commands.length - 1] as string).match(/"/g) ?? []).length % 2 === 1;
    }
    const matches = (pattern: string | RegExp) => (c: string) => (typeof pattern === 'string' ? c === pattern : pattern.test(c));
    const plan: Plan = {
      stdout: io.stdout,
      commands,
      on: (host) => commands.filter((c) => c.startsWith(`[${host}] `)).map((c) => c.slice(host.length + 3)),
      has: (line) => commands.includes(line),
      index: (pattern, from = 0) => {
        const i = commands.findIndex((c, n) => n >= from && matches(pattern)(c));
        assert.ok(i >= 0, `no command ${pattern} after #${from} in:\n${commands.join('\n')}`);
        return i;
      },
      count: (pattern) => commands.filter(matches(pattern)).length,
    };
    return plan;
  } finally {
    p.cleanup();
  }
}

// Asserts the patterns occur in this order, each after the previous one.
function inOrder(plan: Plan, patterns: Array<string | RegExp>): number[] {
  const at: number[] = [];
  let from = 0;
  for (const pattern of patterns) {
    const i = plan.index(pattern, from);
    at.push(i);
    from = i + 1;
  }
  return at;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hookLine = (name: string) => `[local] /usr/bin/env .kamal/hooks/${name}`;

// 1.4: the lock details are Base64.encode64 (60-char lines, trailing newline) of three lines.
function lockDetails(plan: Plan, host = '1.1.1.1'): string {
  const prefix = `[${host}] /usr/bin/env mkdir .kamal/lock-app && echo "`;
  const suffix = '" > .kamal/lock-app/details';
  const command = plan.commands.find((c) => c.startsWith(prefix));
  assert.ok(command, `no lock acquire on ${host}:\n${plan.commands.join('\n')}`);
  assert.ok(command.endsWith(suffix), command);
  const encoded = command.slice(prefix.length, -suffix.length);
  assert.ok(encoded.endsWith('\n'), 'encode64 ends with a newline');
  for (const line of encoded.trimEnd().split('\n')) assert.ok(line.length <= 60, `encode64 line of ${line.length} chars`);
  return Buffer.from(encoded.replace(/\n/g, ''), 'base64').toString('utf8');
}

// Exact command lines of KAMAL-FACTS.md for the example config (VERSION=999).
const FACT = {
  runDir: '/usr/bin/env mkdir -p .kamal',
  dockerCheck: 'docker --version && docker buildx version',
  build: 'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999 -t dhh/app:latest --label service="app" --file Dockerfile . 2>&1',
  pull: 'docker pull dhh/app:999',
  inspect: `docker inspect -f '{{ .Config.Labels.service }}' dhh/app:999 | grep -x app || (echo "Image dhh/app:999 is missing the 'service' label" && exit 1)`,
  network: 'docker network create kamal',
  proxyVersion: `docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'`,
  proxyStart:
    'docker container start kamal-proxy || echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $(pwd)/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config',
  mysqlRun:
    'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 127.0.0.1:3306:3306 --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/data:/var/lib/mysql --label service="app-mysql" mysql:8.0',
  staleWeb: 'docker ps --filter label=service=app --filter label=destination= --filter label=role=web --format "{{.Names}}" | while read line; do echo ${line#app-web-}; done',
  runningWeb: `/usr/bin/env sh -c 'docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting' | head -1 | while read line; do echo \${line#app-web-}; done`,
  webRun: (v: string) =>
    new RegExp(
      `^\\[1\\.1\\.1\\.1\\] ${escape(`docker run --detach --restart unless-stopped --name app-web-${v} --network kamal --hostname 1.1.1.1-`)}[0-9a-f]{12}${escape(` -e KAMAL_CONTAINER_NAME="app-web-${v}" -e KAMAL_VERSION="${v}" --env RAILS_LOG_TO_STDOUT="1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:${v}`)}$`,
    ),
  workersRun: (v: string) =>
    new RegExp(
      `^\\[1\\.1\\.1\\.2\\] ${escape(`docker run --detach --restart unless-stopped --name app-workers-${v} --network kamal --hostname 1.1.1.2-`)}[0-9a-f]{12}${escape(` -e KAMAL_CONTAINER_NAME="app-workers-${v}" -e KAMAL_VERSION="${v}" --env RAILS_LOG_TO_STDOUT="1" --env-file .kamal/apps/app/env/roles/workers.env --log-opt max-size="10m" --label service="app" --label role="workers" --label destination dhh/app:${v} bin/jobs`)}$`,
    ),
  proxyDeploy: new RegExp(
    `^\\[1\\.1\\.1\\.1\\] docker exec kamal-proxy kamal-proxy deploy app-web --target="[0-9a-f]+:80"${escape(
      ' --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    )}$`,
  ),
  tag: (v: string) => `docker tag dhh/app:${v} dhh/app:latest`,
  pruneContainers: 'docker ps -q -a --filter label=service=app --filter status=created --filter status=exited --filter status=dead | tail -n +6 | while read container_id; do docker rm $container_id; done',
  pruneImages: 'docker image prune --force --filter label=service=app',
  pruneTags: `docker image ls --filter label=service=app --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w "$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=app | tr -d '\\n')dhh/app:latest\\|dhh/app:<none>" | while read image tag; do docker rmi $tag; done`,
  release: '/usr/bin/env rm .kamal/lock-app/details && rm -r .kamal/lock-app',
  lockStatus: '/usr/bin/env stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d',
};
const LOCK = /^\[1\.1\.1\.1\] \/usr\/bin\/env mkdir \.kamal\/lock-app && echo "/;

test('setup: lock first, then `docker -v` and docker-setup, then the deploy with accessories before the app (section 2)', async () => {
  const plan = await dryRun(FACTS_CONFIG, ['setup', '--version', '999']);
  inOrder(plan, [
    hookLine('pre-connect'),
    // Lock first: steps 14–15 …
    `[1.1.1.1] ${FACT.runDir}`,
    LOCK,
    // … then the bootstrap check on all hosts, and docker-setup.
    /^\[1\.1\.1\.[12]\] docker -v$/,
    hookLine('docker-setup'),
    // The deploy: build, pull, …
    `[local] ${FACT.dockerCheck}`,
    '[local] docker login -u [REDACTED] -p [REDACTED]',
    hookLine('pre-build'),
    `[local] ${FACT.build}`,
    '[1.1.1.1] docker login -u [REDACTED] -p [REDACTED]',
    `[1.1.1.1] ${FACT.pull}`,
    `[1.1.1.1] ${FACT.inspect}`,
    hookLine('pre-deploy'),
    `[1.1.1.1] ${FACT.network}`,
    `[1.1.1.1] ${FACT.proxyVersion}`,
    '[1.1.1.1] /usr/bin/env mkdir -p .kamal/proxy/apps-config',
    `[1.1.1.1] ${FACT.proxyStart}`,
    // `accessory boot all` between steps 18 and 19 (3.4).
    '[1.1.1.2] docker ps -a -q --filter label=service=app-mysql',
    '[1.1.1.2] /usr/bin/env mkdir -p $PWD/app-mysql/data',
    '[1.1.1.2] /usr/bin/env mkdir -p .kamal/apps/app/env/accessories',
    '[1.1.1.2] upload .kamal/apps/app/env/accessories/mysql.env (mode 0600, 1 line)',
    `[1.1.1.2] ${FACT.mysqlRun}`,
    `[1.1.1.1] ${FACT.staleWeb}`,
    hookLine('pre-app-boot'),
    FACT.webRun('999'),
    FACT.proxyDeploy,
    FACT.workersRun('999'),
    hookLine('post-app-boot'),
    `[1.1.1.1] ${FACT.tag('999')}`,
    `[1.1.1.1] ${FACT.pruneContainers}`,
    `[1.1.1.1] ${FACT.pruneImages}`,
    `[1.1.1.1] ${FACT.pruneTags}`,
    // setup's post-deploy runs inside the lock, before the release.
    hookLine('post-deploy'),
    `[1.1.1.1] ${FACT.release}`,
  ]);
  // Both hosts get the bootstrap check; its install fallback is not planned (docker -v succeeds).
  assert.is(plan.count(/^\[1\.1\.1\.[12]\] docker -v$/), 2);
  assert.not.ok(plan.commands.some((c) => c.includes('get.docker.com')));
  // The deploy runs with the lock held: one run directory per host, one acquire, one release.
  assert.is(plan.count(`[1.1.1.1] ${FACT.runDir}`), 1);
  assert.is(plan.count(`[1.1.1.2] ${FACT.runDir}`), 1);
  assert.is(plan.count(LOCK), 1);
  assert.is(plan.count(`[1.1.1.1] ${FACT.release}`), 1);
  assert.is(plan.commands[plan.commands.length - 1], `[1.1.1.1] ${FACT.release}`);
  // Proxy hosts are [1.1.1.1]: the workers host gets no proxy.
  assert.not.ok(plan.on('1.1.1.2').some((c) => c.includes('kamal-proxy')));
  assert.match(lockDetails(plan), /^Locked by: .+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nVersion: 999\nMessage: Automatic deploy lock$/);
});

test('redeploy: build, pull, lock, stale, boot, release — no proxy boot, no network, no prune (section 2)', async () => {
  const plan = await dryRun(FACTS_CONFIG, ['redeploy', '--version', '999']);
  inOrder(plan, [
    `[local] ${FACT.dockerCheck}`,
    hookLine('pre-build'),
    `[local] ${FACT.build}`,
    hookLine('pre-connect'),
    '[1.1.1.1] docker login -u [REDACTED] -p [REDACTED]',
    `[1.1.1.1] ${FACT.pull}`,
    `[1.1.1.1] ${FACT.runDir}`,
    LOCK,
    hookLine('pre-deploy'),
    `[1.1.1.1] ${FACT.staleWeb}`,
    hookLine('pre-app-boot'),
    FACT.webRun('999'),
    FACT.proxyDeploy,
    FACT.workersRun('999'),
    hookLine('post-app-boot'),
    `[1.1.1.1] ${FACT.tag('999')}`,
    `[1.1.1.1] ${FACT.release}`,
    // Outside the lock, as in deploy.
    hookLine('post-deploy'),
  ]);
  for (const absent of [FACT.network, FACT.proxyVersion, FACT.proxyStart, FACT.pruneContainers, FACT.pruneImages, FACT.pruneTags, 'docker -v', FACT.mysqlRun]) {
    assert.not.ok(plan.commands.some((c) => c.endsWith(`] ${absent}`)), `redeploy does not run ${absent}`);
  }
  assert.not.ok(plan.commands.some((c) => c.includes('Pruned')), 'no prune audit');
  // Step 8's login only: no second login for a proxy boot.
  assert.is(plan.count('[1.1.1.1] docker login -u [REDACTED] -p [REDACTED]'), 1);
  assert.is(plan.commands[plan.commands.length - 1], hookLine('post-deploy'));
});

test('rollback VERSION: lock, container check, pre-deploy, boot of the old version; no build, pull, proxy or prune (3.1)', async () => {
  // Kamal takes the lock before it sets the version (cli/main.rb `rollback`, cli/base.rb
  // `acquire_lock`), so the lock details name the configured version (here $VERSION), not 998.
  const plan = await dryRun(FACTS_CONFIG, ['rollback', '998'], { VERSION: '777' });
  const [, , , checkWeb, , rename] = inOrder(plan, [
    hookLine('pre-connect'),
    `[1.1.1.1] ${FACT.runDir}`,
    LOCK,
    '[1.1.1.1] docker container ls --all --filter name=^app-web-998$ --quiet',
    hookLine('pre-deploy'),
    /^\[1\.1\.1\.1\] docker rename app-web-998 app-web-998_replaced_[0-9a-f]{16}$/,
    `[1.1.1.1] ${FACT.runningWeb}`,
    FACT.webRun('998'),
    FACT.proxyDeploy,
    `[1.1.1.1] ${FACT.tag('998')}`,
    `[1.1.1.1] ${FACT.release}`,
    hookLine('post-deploy'),
  ]);
  assert.ok(checkWeb! < rename!);
  // The check covers every role on every app host.
  assert.ok(plan.has('[1.1.1.2] docker container ls --all --filter name=^app-workers-998$ --quiet'));
  assert.ok(plan.commands.some((c) => FACT.workersRun('998').test(c)));
  assert.ok(plan.has(`[1.1.1.2] ${FACT.tag('998')}`));
  assert.match(lockDetails(plan), /\nVersion: 777\nMessage: Automatic deploy lock$/);
  // The stopped 998 container is renamed aside, never restarted.
  assert.not.ok(plan.commands.some((c) => /docker (container )?start app-/.test(c)));
  for (const absent of [FACT.dockerCheck, FACT.build, 'docker pull', FACT.network, FACT.proxyStart, FACT.pruneContainers, FACT.pruneImages, 'docker login', 'docker -v']) {
    assert.not.ok(plan.commands.some((c) => c.includes(absent)), `rollback does not run ${absent}`);
  }
  assert.not.ok(plan.commands.some((c) => c.includes('999')), 'nothing about the current version');
});

// The read-only commands, per Kamal v2.6.0: cli/main.rb `audit` runs `KAMAL.auditor.reveal`
// (commands/auditor.rb: `tail -n 50 <audit log>`) on KAMAL.hosts (every host, accessories
// included); `details` is proxy details (proxy_hosts, `docker ps --filter name=^kamal-proxy$`),
// app details (app_hosts, each role: `docker ps` + the role's container filters) and accessory
// details (`docker ps --filter label=service=<accessory>`); `app version` runs the 1.7 command on
// app_hosts for the *first* role on each host; `app containers` runs `docker container ls --all`
// with the role-less filters on app_hosts; `lock status` runs the 1.4 status on the primary host.

test('audit: tail -n 50 of the audit log on every host, accessory-only hosts included', async () => {
  const plan = await dryRun(SHAPES_CONFIG, ['audit']);
  assert.equal(plan.commands, [
    hookLine('pre-connect'),
    '[1.1.1.1] /usr/bin/env tail -n 50 .kamal/app-audit.log',
    '[1.1.1.2] /usr/bin/env tail -n 50 .kamal/app-audit.log',
    '[1.1.1.3] /usr/bin/env tail -n 50 .kamal/app-audit.log',
  ]);
  assert.match(plan.stdout, /^App Host: 1\.1\.1\.1$/m);
});

test('audit with a destination reads .kamal/<service>-<destination>-audit.log (1.5)', async () => {
  const p = project(SHAPES_CONFIG);
  try {
    writeFileSync(join(p.dir, 'config/deploy.staging.yml'), 'servers:\n  web: [2.2.2.1]\n');
    writeFileSync(join(p.dir, '.kamal/secrets.staging'), SECRETS);
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    assert.is(await runCli(['audit', '-d', 'staging', '--dry-run'], io), 0, io.stderr);
    assert.ok(io.stdout.includes('[2.2.2.1] /usr/bin/env tail -n 50 .kamal/app-staging-audit.log\n'), io.stdout);
  } finally {
    p.cleanup();
  }
});

test('details: proxy on proxy hosts, app per role on app hosts, then accessories', async () => {
  const plan = await dryRun(SHAPES_CONFIG, ['details']);
  assert.equal(plan.commands, [
    hookLine('pre-connect'),
    '[1.1.1.1] docker ps --filter name=^kamal-proxy$',
    '[1.1.1.2] docker ps --filter name=^kamal-proxy$',
    '[1.1.1.1] docker ps --filter label=service=app --filter label=destination= --filter label=role=web',
    '[1.1.1.2] docker ps --filter label=service=app --filter label=destination= --filter label=role=web',
    '[1.1.1.2] docker ps --filter label=service=app --filter label=destination= --filter label=role=workers',
    '[1.1.1.3] docker ps --filter label=service=app-redis',
  ]);
  // And on the fact sheet's config: the proxy only where a proxy role runs.
  const facts = await dryRun(FACTS_CONFIG, ['details']);
  assert.equal(facts.commands.slice(1), [
    '[1.1.1.1] docker ps --filter name=^kamal-proxy$',
    '[1.1.1.1] docker ps --filter label=service=app --filter label=destination= --filter label=role=web',
    '[1.1.1.2] docker ps --filter label=service=app --filter label=destination= --filter label=role=workers',
    '[1.1.1.2] docker ps --filter label=service=app-mysql',
  ]);
});

test('app version: the 1.7 running-version command, once per app host, for its first role', async () => {
  const plan = await dryRun(FACTS_CONFIG, ['app', 'version']);
  assert.equal(plan.commands, [hookLine('pre-connect'), `[1.1.1.1] ${FACT.runningWeb}`, `[1.1.1.2] ${FACT.runningWeb.replace(/role=web/g, 'role=workers').replace('app-web-', 'app-workers-')}`]);
  // 1.1.1.2 runs web and workers: Kamal asks for web only (roles_on(host).first); no accessory host.
  const shapes = await dryRun(SHAPES_CONFIG, ['app', 'version']);
  assert.equal(shapes.commands, [hookLine('pre-connect'), `[1.1.1.1] ${FACT.runningWeb}`, `[1.1.1.2] ${FACT.runningWeb}`]);
});

test('app containers: docker container ls --all with the role-less filters, once per app host', async () => {
  const plan = await dryRun(SHAPES_CONFIG, ['app', 'containers']);
  assert.equal(plan.commands, [
    hookLine('pre-connect'),
    '[1.1.1.1] docker container ls --all --filter label=service=app --filter label=destination=',
    '[1.1.1.2] docker container ls --all --filter label=service=app --filter label=destination=',
  ]);
});

test('app details: docker ps per role on each app host, no proxy, no accessory', async () => {
  const plan = await dryRun(SHAPES_CONFIG, ['app', 'details']);
  assert.equal(plan.commands, [
    hookLine('pre-connect'),
    '[1.1.1.1] docker ps --filter label=service=app --filter label=destination= --filter label=role=web',
    '[1.1.1.2] docker ps --filter label=service=app --filter label=destination= --filter label=role=web',
    '[1.1.1.2] docker ps --filter label=service=app --filter label=destination= --filter label=role=workers',
  ]);
});

test('lock status: the 1.4 status command on the primary host only, no run directory, no lock taken', async () => {
  const plan = await dryRun(SHAPES_CONFIG, ['lock', 'status']);
  assert.equal(plan.commands, [hookLine('pre-connect'), `[1.1.1.1] ${FACT.lockStatus}`]);
  // With a role filter the primary host moves (section 0): workers → 1.1.1.2.
  const workers = await dryRun(SHAPES_CONFIG, ['lock', 'status', '-r', 'workers']);
  assert.equal(workers.commands, [hookLine('pre-connect'), `[1.1.1.2] ${FACT.lockStatus}`]);
});

test.run();
