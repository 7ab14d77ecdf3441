// Golden lines: Commands built the way the builders will build them must render to the exact
// bytes Kamal 2.6.0 sent in the recorded conformance runs (/work/shared/conformance/*/expected).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  and,
  append,
  argumentize,
  argv,
  bare,
  docker,
  dquote,
  group,
  optionize,
  or,
  pipe,
  raw,
  redirect,
  script,
  secret,
  seq,
  shell,
  shellCode,
  subst,
  value,
  withWords,
  word,
  write,
  xargs,
  type Command,
  type Word,
} from '../../../src/commands/command.ts';
import { render, renderForDisplay, renderWord, toArgv, NeedsShellError } from '../../../src/commands/shell.ts';

// --- small builders, written the way src/commands/<family>.ts will write them -----------------

const PERFORMER = 'maintainers@users.noreply.r-seed-56b0d1fe.example';

function audit(service: string, line: string): Command {
  return and(argv('mkdir', '-p', '.kamal'), append(argv('echo', value(line)), `.kamal/${service}-audit.log`));
}

function containerFilters(service: string, role: string, destination = ''): Word[] {
  return argumentize('--filter', [`label=service=${service}`, `label=destination=${destination}`, `label=role=${role}`]);
}

function containerIdFor(name: string): Command {
  return docker('container', 'ls', '--all', '--filter', word('name=^', name, raw('$')), '--quiet');
}

function currentRunningContainer(service: string, role: string, latestImage: string, format: Word[]): Command {
  const statuses = argumentize('--filter', ['status=running', 'status=restarting']);
  const latestImageId = docker('image', 'ls', ...argumentize('--filter', `reference=${latestImage}`), '--format', raw("'{{.ID}}'"));
  const latestImageContainer = docker('ps', '--latest', ...format, ...containerFilters(service, role), ...statuses,
    '--filter', word('ancestor=', subst(latestImageId)));
  const latestContainer = docker('ps', '--latest', ...format, ...containerFilters(service, role), ...statuses);
  return pipe(shell(seq(latestImageContainer, latestContainer)), argv('head', '-1'));
}

function currentRunningVersion(service: string, role: string, latestImage: string): Command {
  return pipe(
    currentRunningContainer(service, role, latestImage, [word('--format'), word(raw("'{{.Names}}'"))]),
    script(`while read line; do echo \${line#${service}-${role}-}; done`),
  );
}

function readFile(file: string, fallback: string): Command {
  return or(redirect(argv('cat', file), '2>', '/dev/null'), argv('echo', dquote(fallback)));
}

function encode64(text: string): string {
  const flat = Buffer.from(text, 'utf8').toString('base64');
  return `${flat.replace(/.{60}/g, '$&\n').replace(/\n$/, '')}\n`;
}

function lockAcquire(service: string, details: string): Command {
  const dir = `.kamal/lock-${service}`;
  return and(argv('mkdir', dir), write(argv('echo', dquote(encode64(details))), `${dir}/details`));
}

const line = (recorded: string) => recorded.replace(/␤/g, '\n');

// --- golden lines -----------------------------------------------------------------------------

test('mkdir -p .kamal gets the /usr/bin/env prefix', () => {
  assert.is(render(argv('mkdir', '-p', '.kamal')), '/usr/bin/env mkdir -p .kamal');
  assert.is(render(argv('mkdir', '-p', '.kamal/apps/shop/env/roles')), '/usr/bin/env mkdir -p .kamal/apps/shop/env/roles');
});

test('audit line: mkdir && echo "<escaped line>" >> audit log', () => {
  assert.is(
    render(audit('shop', `[2026-11-25T03:15:10Z] [${PERFORMER}] [web] Booted app version latest`)),
    `/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:15:10Z] [${PERFORMER}] [web] Booted app version latest" >> .kamal/shop-audit.log`,
  );
  assert.is(
    render(audit('shop', `[2026-11-25T03:15:13Z] [${PERFORMER}] [web] Executed cmd 'bin/rails about' on app version abc1234`)),
    `/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:15:13Z] [${PERFORMER}] [web] Executed cmd 'bin/rails about' on app version abc1234" >> .kamal/shop-audit.log`,
  );
  assert.is(
    render(audit('hey', `[2026-11-25T03:15:52Z] [${PERFORMER}] [web] Renaming container abc1230 to abc1230_replaced_1d2aae9ff5a248d6`)),
    `/usr/bin/env mkdir -p .kamal && echo "[2026-11-25T03:15:52Z] [${PERFORMER}] [web] Renaming container abc1230 to abc1230_replaced_1d2aae9ff5a248d6" >> .kamal/hey-audit.log`,
  );
});

test('lock acquire: base64 details with real newlines inside the double quotes', () => {
  const recorded = line(
    '/usr/bin/env mkdir .kamal/lock-shop && echo "TG9ja2VkIGJ5OiBTZWVkIDU2YjBkMWZlIG1haW50YWluZXJzIGF0IDIwMjYt␤MTEtMjVUMDM6MTU6MTJaClZlcnNpb246IGFiYzEyMzQKTWVzc2FnZTogaGVs␤bG8gd29ybGQ=␤" > .kamal/lock-shop/details',
  );
  const details = 'Locked by: Seed 56b0d1fe maintainers at 2026-11-25T03:15:12Z\nVersion: abc1234\nMessage: hello world';
  assert.is(render(lockAcquire('shop', details)), recorded);
  const automatic = line(
    '/usr/bin/env mkdir .kamal/lock-hey && echo "TG9ja2VkIGJ5OiBTZWVkIDU2YjBkMWZlIG1haW50YWluZXJzIGF0IDIwMjYt␤MTEtMjVUMDM6MTY6MTBaClZlcnNpb246IGFiYzEyMzQKTWVzc2FnZTogQXV0␤b21hdGljIGRlcGxveSBsb2Nr␤" > .kamal/lock-hey/details',
  );
  const automaticDetails = 'Locked by: Seed 56b0d1fe maintainers at 2026-11-25T03:16:10Z\nVersion: abc1234\nMessage: Automatic deploy lock';
  assert.is(render(lockAcquire('hey', automaticDetails)), automatic);
});

test('lock release and status', () => {
  const release = and(argv('rm', '.kamal/lock-shop/details'), argv('rm', '-r', '.kamal/lock-shop'));
  assert.is(render(release), '/usr/bin/env rm .kamal/lock-shop/details && rm -r .kamal/lock-shop');
  const status = and(write(argv('stat', '.kamal/lock-app'), '/dev/null'), pipe(argv('cat', '.kamal/lock-app/details'), argv('base64', '-d')));
  assert.is(render(status), '/usr/bin/env stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d');
});

test('registry login: quoted secrets on the wire, [REDACTED] for display', () => {
  const login = docker('login', 'registry.example.com', '-u', secret('deployer'), '-p', secret('SEXTANT-CANARY-REGISTRY-PASSWORD'));
  assert.is(render(login), 'docker login registry.example.com -u "deployer" -p "SEXTANT-CANARY-REGISTRY-PASSWORD"');
  assert.is(renderForDisplay(login), 'docker login registry.example.com -u [REDACTED] -p [REDACTED]');
});

test('docker --version && docker buildx version', () => {
  assert.is(render(and(docker('--version'), docker('buildx', 'version'))), 'docker --version && docker buildx version');
});

test('running-version probe: sh -c with quotes written as \'\\\'\'', () => {
  assert.is(
    render(currentRunningVersion('shop', 'web', 'registry.example.com/acme/shop:latest')),
    `/usr/bin/env sh -c 'docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=shop --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=registry.example.com/acme/shop:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=shop --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting' | head -1 | while read line; do echo \${line#shop-web-}; done`,
  );
});

test('stop the current container: … | head -1 | xargs docker stop -t 30', () => {
  const current = currentRunningContainer('hey', 'workers', 'registry.example.com/acme/hey:latest', [word('--quiet')]);
  assert.is(
    render(pipe(current, xargs(docker('stop', ...argumentize('-t', 30))))),
    `/usr/bin/env sh -c 'docker ps --latest --quiet --filter label=service=hey --filter label=destination= --filter label=role=workers --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=registry.example.com/acme/hey:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --quiet --filter label=service=hey --filter label=destination= --filter label=role=workers --filter status=running --filter status=restarting' | head -1 | xargs docker stop -t 30`,
  );
});

test('container lookup by name, including an empty version', () => {
  assert.is(render(containerIdFor('shop-web-abc1234')), 'docker container ls --all --filter name=^shop-web-abc1234$ --quiet');
  assert.is(render(containerIdFor('shop-web-')), 'docker container ls --all --filter name=^shop-web-$ --quiet');
  assert.is(render(docker('container', 'ls', '--all', '--filter', word('name=^', 'cart-web-', bare(''), raw('$')), '--quiet')),
    'docker container ls --all --filter name=^cart-web-$ --quiet');
});

test('health probe: ls | xargs docker inspect --format <template>', () => {
  const probe = pipe(containerIdFor('hey-workers-abc1234'),
    xargs(docker('inspect', '--format', raw("'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'"))));
  assert.is(render(probe),
    "docker container ls --all --filter name=^hey-workers-abc1234$ --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'");
});

test('running versions list with "{{.Names}}" in double quotes', () => {
  const list = pipe(docker('ps', ...containerFilters('cart', 'search'), '--format', raw('"{{.Names}}"')),
    script('while read line; do echo ${line#cart-search-}; done'));
  assert.is(render(list),
    'docker ps --filter label=service=cart --filter label=destination= --filter label=role=search --format "{{.Names}}" | while read line; do echo ${line#cart-search-}; done');
});

test('app docker run: env, env-file, log opts, volumes, labels, options, image, cmd', () => {
  const run = docker('run', '--detach', '--restart', 'unless-stopped', '--name', 'hey-workers-abc1234', '--network', 'kamal',
    '--hostname', '10.0.2.12-229a9346ee93',
    '-e', word('KAMAL_CONTAINER_NAME=', value('hey-workers-abc1234')), '-e', word('KAMAL_VERSION=', value('abc1234')),
    ...argumentize('--env', { DB_HOST: '10.0.2.50', WORKER_CONCURRENCY: '5' }),
    ...argumentize('--env-file', '.kamal/apps/hey/env/roles/workers.env'),
    ...optionize({ 'log-driver': 'syslog' }),
    ...argumentize('--log-opt', { 'max-size': '20m', 'syslog-address': 'udp://10.0.2.1:514' }),
    ...argumentize('--volume', ['/var/lib/hey/storage:/rails/storage', 'hey_cache:/rails/tmp/cache']),
    ...argumentize('--label', { service: 'hey', role: 'workers', destination: null, team: 'backoffice' }),
    ...optionize({ memory: '1g', 'add-host': 'host.docker.internal:host-gateway' }),
    'registry.example.com/acme/hey:abc1234', shellCode('bin/jobs --queues=default,mailers'));
  assert.is(render(run),
    'docker run --detach --restart unless-stopped --name hey-workers-abc1234 --network kamal --hostname 10.0.2.12-229a9346ee93 -e KAMAL_CONTAINER_NAME="hey-workers-abc1234" -e KAMAL_VERSION="abc1234" --env DB_HOST="10.0.2.50" --env WORKER_CONCURRENCY="5" --env-file .kamal/apps/hey/env/roles/workers.env --log-driver "syslog" --log-opt max-size="20m" --log-opt syslog-address="udp://10.0.2.1:514" --volume /var/lib/hey/storage:/rails/storage --volume hey_cache:/rails/tmp/cache --label service="hey" --label role="workers" --label destination --label team="backoffice" --memory "1g" --add-host "host.docker.internal:host-gateway" registry.example.com/acme/hey:abc1234 bin/jobs --queues=default,mailers');
});

test('web docker run with default log opt and no cmd', () => {
  const run = docker('run', '--detach', '--restart', 'unless-stopped', '--name', 'shop-web-abc1234', '--network', 'kamal',
    '--hostname', '10.0.1.11-e2f4e3948ae2', '-e', word('KAMAL_CONTAINER_NAME=', value('shop-web-abc1234')),
    '-e', word('KAMAL_VERSION=', value('abc1234')), ...argumentize('--env', [['RAILS_ENV', 'production'], ['PORT', '3000']]),
    '--env-file', '.kamal/apps/shop/env/roles/web.env', ...argumentize('--log-opt', { 'max-size': '10m' }),
    ...argumentize('--label', { service: 'shop', role: 'web', destination: undefined }), 'registry.example.com/acme/shop:abc1234');
  assert.is(render(run),
    'docker run --detach --restart unless-stopped --name shop-web-abc1234 --network kamal --hostname 10.0.1.11-e2f4e3948ae2 -e KAMAL_CONTAINER_NAME="shop-web-abc1234" -e KAMAL_VERSION="abc1234" --env RAILS_ENV="production" --env PORT="3000" --env-file .kamal/apps/shop/env/roles/web.env --log-opt max-size="10m" --label service="shop" --label role="web" --label destination registry.example.com/acme/shop:abc1234');
});

test('accessory docker run with $PWD volumes and a cmd', () => {
  const run = docker('run', '--name', 'cart-redis', '--detach', '--restart', 'unless-stopped', ...argumentize('--network', 'kamal'),
    ...argumentize('--log-opt', { 'max-size': '10m' }), ...argumentize('--publish', '127.0.0.1:6379:6379'),
    ...argumentize('--env-file', '.kamal/apps/cart/env/accessories/redis.env'),
    '--volume', word(raw('$PWD/'), 'cart-redis/data:/data'), ...argumentize('--label', { service: 'cart-redis' }),
    ...optionize({ memory: '256m' }), 'redis:7.2', shellCode('redis-server --appendonly yes'));
  assert.is(render(run),
    'docker run --name cart-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 127.0.0.1:6379:6379 --env-file .kamal/apps/cart/env/accessories/redis.env --volume $PWD/cart-redis/data:/data --label service="cart-redis" --memory "256m" redis:7.2 redis-server --appendonly yes');
  assert.is(render(argv('mkdir', '-p', word(raw('$PWD/'), 'cart-db/pgdata'))), '/usr/bin/env mkdir -p $PWD/cart-db/pgdata');
});

test('kamal-proxy deploy with --key="value" options', () => {
  const deploy = docker('exec', 'kamal-proxy', 'kamal-proxy', 'deploy', 'shop-web', ...optionize([
    ['target', '0123456789ab:3000'], ['host', ['shop.example.com']], ['deploy-timeout', '30s'], ['drain-timeout', '30s'],
    ['health-check-interval', '2s'], ['health-check-timeout', '4s'], ['health-check-path', '/health'],
    ['buffer-requests', true], ['buffer-responses', true], ['log-request-header', ['Cache-Control', 'Last-Modified', 'User-Agent']],
  ], { with: '=' }));
  assert.is(render(deploy),
    'docker exec kamal-proxy kamal-proxy deploy shop-web --target="0123456789ab:3000" --host="shop.example.com" --deploy-timeout="30s" --drain-timeout="30s" --health-check-interval="2s" --health-check-timeout="4s" --health-check-path="/health" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"');
});

test('kamal-proxy stop with a message and a false option', () => {
  const stop = docker('exec', 'kamal-proxy', 'kamal-proxy', 'stop', 'app-web', ...optionize({ 'drain-timeout': '5s', message: 'Back soon' }, { with: '=' }));
  assert.is(render(stop), 'docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="5s" --message="Back soon"');
  assert.is(render(argv(...optionize({ 'buffer-requests': false }, { with: '=' }))), '/usr/bin/env --buffer-requests="false"');
});

test('proxy start-or-run: || echo $(cat … 2> /dev/null || echo "…") … | xargs docker run', () => {
  const bootConfig = argv('echo', word(
    subst(readFile('.kamal/proxy/options', '--publish 80:80 --publish 443:443 --log-opt max-size=10m')), raw(' '),
    subst(readFile('.kamal/proxy/image', 'basecamp/kamal-proxy')), raw(':'),
    subst(readFile('.kamal/proxy/image_version', 'v0.9.0')), raw(' '),
    subst(readFile('.kamal/proxy/run_command', '')),
  ));
  const run = docker('run', '--name', 'kamal-proxy', '--network', 'kamal', '--detach', '--restart', 'unless-stopped',
    '--volume', 'kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy',
    '--volume', word(raw('$(pwd)/'), '.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config'));
  assert.is(render(or(docker('container', 'start', 'kamal-proxy'), pipe(bootConfig, xargs(run)))),
    'docker container start kamal-proxy || echo $(cat .kamal/proxy/options 2> /dev/null || echo "--publish 80:80 --publish 443:443 --log-opt max-size=10m") $(cat .kamal/proxy/image 2> /dev/null || echo "basecamp/kamal-proxy"):$(cat .kamal/proxy/image_version 2> /dev/null || echo "v0.9.0") $(cat .kamal/proxy/run_command 2> /dev/null || echo "") | xargs docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $(pwd)/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config');
});

test('proxy version probe: docker inspect … | awk', () => {
  const probe = pipe(docker('inspect', 'kamal-proxy', raw("--format '{{.Config.Image}}'")), argv('awk', '-F:', raw("'{print $NF}'")));
  assert.is(render(probe), "docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'");
});

test('image label check: … | grep -x svc || (echo "…" && exit 1)', () => {
  const image = 'registry.example.com/acme/shop:abc1234';
  const check = pipe(docker('inspect', '-f', raw("'{{ .Config.Labels.service }}'"), image),
    or(argv('grep', '-x', 'shop'), group(and(argv('echo', value(`Image ${image} is missing the 'service' label`)), script('exit 1')))));
  assert.is(render(check),
    `docker inspect -f '{{ .Config.Labels.service }}' registry.example.com/acme/shop:abc1234 | grep -x shop || (echo "Image registry.example.com/acme/shop:abc1234 is missing the 'service' label" && exit 1)`);
});

test('prune containers: … | tail -n +4 | while read container_id; …', () => {
  const prune = pipe(docker('ps', '-q', '-a', ...argumentize('--filter', ['label=service=hey', 'status=created', 'status=exited', 'status=dead'])),
    argv('tail', '-n', `+${3 + 1}`), script('while read container_id; do docker rm $container_id; done'));
  assert.is(render(prune),
    'docker ps -q -a --filter label=service=hey --filter status=created --filter status=exited --filter status=dead | tail -n +4 | while read container_id; do docker rm $container_id; done');
});

test('prune images: grep -v -w "$(…)<latest>\\|<repo>:<none>"', () => {
  const usedImages = pipe(docker('container', 'ls', '-a', '--format', raw("'{{.Image}}\\|'"), '--filter', 'label=service=hey'),
    argv('tr', '-d', raw("'\\n'")));
  const prune = pipe(docker('image', 'ls', '--filter', 'label=service=hey', '--format', raw("'{{.ID}} {{.Repository}}:{{.Tag}}'")),
    argv('grep', '-v', '-w', dquote(subst(usedImages), 'registry.example.com/acme/hey:latest', raw('\\|'), 'registry.example.com/acme/hey:<none>')),
    script('while read image tag; do docker rmi $tag; done'));
  assert.is(render(prune),
    `docker image ls --filter label=service=hey --format '{{.ID}} {{.Repository}}:{{.Tag}}' | grep -v -w "$(docker container ls -a --format '{{.Image}}\\|' --filter label=service=hey | tr -d '\\n')registry.example.com/acme/hey:latest\\|registry.example.com/acme/hey:<none>" | while read image tag; do docker rmi $tag; done`);
  assert.is(render(docker('image', 'prune', '--force', '--filter', 'label=service=hey')), 'docker image prune --force --filter label=service=hey');
});

test('rename with _replaced_, tag, pull, image rm, start, network, exec', () => {
  assert.is(render(docker('rename', 'hey-web-abc1230', 'hey-web-abc1230_replaced_1d2aae9ff5a248d6')),
    'docker rename hey-web-abc1230 hey-web-abc1230_replaced_1d2aae9ff5a248d6');
  assert.is(render(docker('tag', 'registry.example.com/acme/hey:abc1234', 'registry.example.com/acme/hey:latest')),
    'docker tag registry.example.com/acme/hey:abc1234 registry.example.com/acme/hey:latest');
  assert.is(render(docker('pull', 'registry.example.com/acme/cart:abc1234')), 'docker pull registry.example.com/acme/cart:abc1234');
  assert.is(render(docker('image', 'rm', '--force', 'getmeili/meilisearch:v1.7')), 'docker image rm --force getmeili/meilisearch:v1.7');
  assert.is(render(docker('start', 'shop-web-abc1234')), 'docker start shop-web-abc1234');
  assert.is(render(docker('network', 'create', 'kamal')), 'docker network create kamal');
  assert.is(render(docker('exec', 'shop-web-abc1234', shellCode('bin/rails about'))), 'docker exec shop-web-abc1234 bin/rails about');
  assert.is(render(docker('info', raw("--format '{{index .RegistryConfig.Mirrors 0}}'"))), "docker info --format '{{index .RegistryConfig.Mirrors 0}}'");
});

test('accessory housekeeping: ps, prune, stop, rm -rf, chmod', () => {
  assert.is(render(docker('ps', '-a', '-q', ...argumentize('--filter', 'label=service=cart-db'))), 'docker ps -a -q --filter label=service=cart-db');
  assert.is(render(docker('container', 'prune', '--force', '--filter', 'label=service=cart-meili')), 'docker container prune --force --filter label=service=cart-meili');
  assert.is(render(docker('container', 'stop', 'cart-meili')), 'docker container stop cart-meili');
  assert.is(render(argv('rm', '-rf', 'cart-meili')), '/usr/bin/env rm -rf cart-meili');
  assert.is(render(argv('chmod', '755', 'cart-db/docker-entrypoint-initdb.d/init.sql')), '/usr/bin/env chmod 755 cart-db/docker-entrypoint-initdb.d/init.sql');
});

test('KAMAL-FACTS examples: assets, find -exec, bootstrap check, get.docker.com', () => {
  const extract = and(argv('mkdir', '-p', '.kamal/apps/app/assets/extracted/web-999'),
    or(redirect(docker('container', 'rm', 'app-web-assets'), '2>', '/dev/null'), argv('true')),
    docker('container', 'create', '--name', 'app-web-assets', 'dhh/app:999'),
    docker('container', 'cp', '-L', word('app-web-assets:', '/public/assets', raw('/.')), '.kamal/apps/app/assets/extracted/web-999'),
    docker('container', 'rm', 'app-web-assets'));
  assert.is(render(extract),
    '/usr/bin/env mkdir -p .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets 2> /dev/null || true && docker container create --name app-web-assets dhh/app:999 && docker container cp -L app-web-assets:/public/assets/. .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets');
  const find = (dir: string) => argv('find', dir, raw('-maxdepth 1'), '-name', raw("'web-*'"), raw('!'), '-name', 'web-999', raw('-exec rm -rf "{}" +'));
  assert.is(render(seq(find('.kamal/apps/app/assets/extracted'), find('.kamal/apps/app/assets/volumes'))),
    `/usr/bin/env find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" + ; find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" +`);
  const superuser = script('[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
  assert.is(render(superuser), '[ "${EUID:-$(id -u)}" -eq 0 ] || command -v sudo >/dev/null || command -v su >/dev/null');
  const install = pipe(shell(or(argv('curl', '-fsSL', 'https://get.docker.com'), argv('wget', raw('-O -'), 'https://get.docker.com'),
    argv('echo', raw('"exit 1"')))), argv('sh'));
  assert.is(render(install), `/usr/bin/env sh -c 'curl -fsSL https://get.docker.com || wget -O - https://get.docker.com || echo "exit 1"' | sh`);
});

test('build command with 2>&1 and --build-arg shown as KEY=[REDACTED]', () => {
  const build = redirect(docker('buildx', 'build', '--output=type=registry', '--platform', 'linux/amd64', '--builder', 'kamal-local-docker-container',
    '-t', 'dhh/app:999', '-t', 'dhh/app:latest', ...argumentize('--label', { service: 'app' }),
    ...argumentize('--build-arg', { RUBY_VERSION: '3.3' }, { sensitive: true }), '--file', 'Dockerfile', '.'), '2>&1');
  assert.is(render(build),
    'docker buildx build --output=type=registry --platform linux/amd64 --builder kamal-local-docker-container -t dhh/app:999 -t dhh/app:latest --label service="app" --build-arg RUBY_VERSION="3.3" --file Dockerfile . 2>&1');
  assert.ok(renderForDisplay(build).includes('--build-arg RUBY_VERSION=[REDACTED] --file'));
});

// --- first-token mapping ----------------------------------------------------------------------

test('first-token mapping: docker and builtins unmapped, others prefixed, only the first token', () => {
  assert.is(render(argv('.kamal/hooks/pre-deploy')), '/usr/bin/env .kamal/hooks/pre-deploy');
  assert.is(render(argv('test', '-d', 'x')), 'test -d x');
  assert.is(render(argv('exec', 'x')), 'exec x');
  assert.is(render(pipe(argv('cat', 'a'), argv('grep', 'b'))), '/usr/bin/env cat a | grep b');
  assert.is(render(redirect(argv('cat', 'a'), '2>', '/dev/null')), '/usr/bin/env cat a 2> /dev/null');
  assert.is(render(group(argv('cat', 'a'))), '(cat a)');
  assert.is(render(argv('cat', 'a'), { mapFirstToken: false }), 'cat a');
  assert.is(render(argv(value('my tool'), 'x')), '"my tool" x');
});

// --- helpers ----------------------------------------------------------------------------------

test('argumentize: present, blank, false, nil, numbers, lists', () => {
  const words = argumentize('--env', { A: 'x', B: '', C: '  ', D: false, E: null, F: 0, G: true });
  assert.equal(words.map((w) => renderWord(w)), ['--env', 'A="x"', '--env', 'B', '--env', 'C', '--env', 'D=false', '--env', 'E', '--env', 'F="0"', '--env', 'G="true"']);
  assert.equal(argumentize('--volume', ['a:/b', 'c:/d']).map((w) => renderWord(w)), ['--volume', 'a:/b', '--volume', 'c:/d']);
  assert.equal(argumentize('-t', 30).map((w) => renderWord(w)), ['-t', '30']);
  assert.equal(argumentize('--x', null), []);
  const hostile = argumentize('--volume', ['a b:/c;$(id)']).map((w) => renderWord(w));
  assert.equal(hostile, ['--volume', "'a b:/c;$(id)'"]);
});

test('optionize: spaced and = forms, true, false, lists, nil', () => {
  assert.equal(optionize({ memory: '2g', 'cap-add': true, n: false, e: null, h: ['a', 'b'] }).map((w) => renderWord(w)),
    ['--memory', '"2g"', '--cap-add', '--n', '"false"', '--e', '""', '--h', '"a"', '--h', '"b"']);
  assert.equal(optionize({ target: 'x:80', tls: true }, { with: '=' }).map((w) => renderWord(w)), ['--target="x:80"', '--tls']);
});

test('toArgv: plain commands split like a shell would, others need a shell', () => {
  assert.equal(toArgv(docker('login', '-u', value('a b'), '-p', secret('p"w$x`y'), raw("--format '{{.ID}}'"))),
    ['docker', 'login', '-u', 'a b', '-p', 'p"w$x`y', '--format', '{{.ID}}']);
  assert.equal(toArgv(argv('.kamal/hooks/pre-deploy')), ['.kamal/hooks/pre-deploy']);
  assert.equal(toArgv(argv('echo', bare("it's; $(x)"), value('é"x"ü'), bare(''))), ['echo', "it's; $(x)", 'é"x"ü']);
  assert.throws(() => toArgv(and(argv('a'), argv('b'))), (error: unknown) => error instanceof NeedsShellError);
  assert.throws(() => toArgv(argv('echo', value('${HOME}'))), (error: unknown) => error instanceof NeedsShellError);
  assert.throws(() => toArgv(argv('echo', raw('$(pwd)'))), (error: unknown) => error instanceof NeedsShellError);
  assert.throws(() => toArgv(argv('ls', raw('*'))), (error: unknown) => error instanceof NeedsShellError);
});

test('constructors reject misuse', () => {
  assert.throws(() => argv(), /at least one word/);
  assert.throws(() => and(null, false), /at least one command/);
  assert.throws(() => xargs(and(argv('a'), argv('b'))), /simple command/);
  assert.throws(() => redirect(argv('a'), '>'), /needs a target/);
  assert.throws(() => redirect(argv('a'), '2>&1', 'x'), /no target/);
  assert.throws(() => bare('a\0b'), /NUL/);
  assert.is(render(and(argv('a'), null, argv('b'))), '/usr/bin/env a && b');
  assert.is(render(or(argv('only'))), '/usr/bin/env only');
  assert.is(render(withWords(docker('stop'), '-t', [30, null])), 'docker stop -t 30');
});

test('display is mapped like the wire line, decided on the real first token', () => {
  assert.is(render(argv(secret('a b'), 'x')), '"a b" x');
  assert.is(renderForDisplay(argv(secret('a b'), 'x')), '[REDACTED] x');
  assert.is(renderForDisplay(argv(secret('tool'), 'x')), '/usr/bin/env [REDACTED] x');
});

test.run();
