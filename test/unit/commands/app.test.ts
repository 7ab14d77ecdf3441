// App container commands: the lines Kamal 2.6.0's commands/app_test.rb expects and the lines it sent
// in the recorded conformance runs, built from YAML fixtures through loadConfig.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFor } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/types.ts';
import {
  appDetails,
  appHostname,
  appLogs,
  appRun,
  appStart,
  appStatus,
  appStop,
  containerHealthLog,
  containerIdFor,
  containerIdForVersion,
  currentRunningContainerId,
  currentRunningVersion,
  ensureEnvDirectory,
  execInExistingContainer,
  execInExistingContainerOverSsh,
  execInNewContainer,
  execInNewContainerOverSsh,
  followAppLogs,
  listContainerNames,
  listContainers,
  listImages,
  listVersions,
  removeAppDirectories,
  removeContainer,
  removeContainers,
  removeImages,
  renameContainer,
  replacedVersion,
  tagLatestImage,
} from '../../../src/commands/app.ts';
import { render, renderForDisplay } from '../../../src/commands/shell.ts';
import { fixture, roleOf } from '../../fixtures/commands/a/load.ts';

const run = (config: Config, roleName: string, host: string, version = '999', hostname?: string) =>
  render(appRun({ config, role: roleOf(config, roleName), env: envFor(config, roleName, host), version, hostname }));

const PROBE = (filters: string, latest: string, format: string) =>
  `sh -c 'docker ps --latest ${format} ${filters} --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=${latest} --format '\\''{{.ID}}'\\'') ; docker ps --latest ${format} ${filters} --filter status=running --filter status=restarting' | head -1`;
const WEB_FILTERS = '--filter label=service=app --filter label=destination= --filter label=role=web';
const RUNNING_WEB = PROBE(WEB_FILTERS, 'dhh/app:latest', '--quiet');

// --- docker run ---------------------------------------------------------------------------------

test('run', () => {
  assert.is(run(fixture(), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with hostname', () => {
  assert.is(run(fixture(), 'web', '1.1.1.1', '999', 'myhost'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --hostname myhost -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with volumes', () => {
  assert.is(run(fixture('volumes'), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume /local/path:/container/path --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with custom options and a cmd', () => {
  assert.is(run(fixture('options'), 'jobs', '1.1.1.2'),
    'docker run --detach --restart unless-stopped --name app-jobs-999 --network kamal -e KAMAL_CONTAINER_NAME="app-jobs-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/jobs.env --log-opt max-size="10m" --label service="app" --label role="jobs" --label destination --mount "somewhere" --cap-add dhh/app:999 bin/jobs');
});

test('run with logging config', () => {
  assert.is(run(fixture('logging'), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with role logging config', () => {
  assert.is(run(fixture('role-logging'), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with tags', () => {
  assert.is(run(fixture('tags'), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env ENV1="value1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination dhh/app:999');
});

test('run with a destination', () => {
  assert.is(run(fixture('deploy', 'staging'), 'workers', '1.1.1.2'),
    'docker run --detach --restart unless-stopped --name app-workers-staging-999 --network kamal -e KAMAL_CONTAINER_NAME="app-workers-staging-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app-staging/env/roles/workers.env --log-opt max-size="10m" --label service="app" --label role="workers" --label destination="staging" dhh/app:999');
});

test('run with assets mounts the version volume', () => {
  assert.is(run(fixture('assets'), 'web', '1.1.1.1'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume $(pwd)/.kamal/apps/app/assets/volumes/web-999:/public/assets --label service="app" --label role="web" --label destination dhh/app:999');
  assert.not.match(run(fixture('assets'), 'workers', '1.1.1.2'), '--volume');
});

test('recorded runs: clear env in order, role options, labels, syslog logging, cmd', () => {
  assert.is(run(fixture('shop'), 'web', '10.0.1.11', 'abc1234', '10.0.1.11-937ca4cba9ac'),
    'docker run --detach --restart unless-stopped --name shop-web-abc1234 --network kamal --hostname 10.0.1.11-937ca4cba9ac -e KAMAL_CONTAINER_NAME="shop-web-abc1234" -e KAMAL_VERSION="abc1234" --env RAILS_ENV="production" --env PORT="3000" --env-file .kamal/apps/shop/env/roles/web.env --log-opt max-size="10m" --label service="shop" --label role="web" --label destination registry.example.com/acme/shop:abc1234');
  const hey = fixture('hey');
  assert.is(run(hey, 'web', '10.0.2.11', 'abc1234', '10.0.2.11-5e0b9a73d913'),
    'docker run --detach --restart unless-stopped --name hey-web-abc1234 --network kamal --hostname 10.0.2.11-5e0b9a73d913 -e KAMAL_CONTAINER_NAME="hey-web-abc1234" -e KAMAL_VERSION="abc1234" --env DB_HOST="10.0.2.50" --env-file .kamal/apps/hey/env/roles/web.env --log-driver "json-file" --log-opt max-size="50m" --volume /var/lib/hey/storage:/rails/storage --volume hey_cache:/rails/tmp/cache --label service="hey" --label role="web" --label destination --label team="storefront" --memory "512m" --cpus "2" registry.example.com/acme/hey:abc1234');
  assert.is(run(hey, 'workers', '10.0.2.12', 'abc1234', '10.0.2.12-229a9346ee93'),
    'docker run --detach --restart unless-stopped --name hey-workers-abc1234 --network kamal --hostname 10.0.2.12-229a9346ee93 -e KAMAL_CONTAINER_NAME="hey-workers-abc1234" -e KAMAL_VERSION="abc1234" --env DB_HOST="10.0.2.50" --env WORKER_CONCURRENCY="5" --env-file .kamal/apps/hey/env/roles/workers.env --log-driver "syslog" --log-opt max-size="20m" --log-opt syslog-address="udp://10.0.2.1:514" --volume /var/lib/hey/storage:/rails/storage --volume hey_cache:/rails/tmp/cache --label service="hey" --label role="workers" --label destination --label team="backoffice" --memory "1g" --add-host "host.docker.internal:host-gateway" registry.example.com/acme/hey:abc1234 bin/jobs --queues=default,mailers');
});

test('hostname and replaced-version helpers', () => {
  assert.is(appHostname('1.1.1.1', 'b014bf9e8077'), '1.1.1.1-b014bf9e8077');
  const long = `${'a'.repeat(50)}.example.com`;
  assert.is(appHostname(long, '0123456789ab'), `${'a'.repeat(50)}-0123456789ab`);
  assert.is(appHostname('host.example.com.', 'x'), 'host.example.com-x');
  assert.is(replacedVersion('abc1230', '1d2aae9ff5a248d6'), 'abc1230_replaced_1d2aae9ff5a248d6');
});

test('a hostile clear env value stays one quoted word', () => {
  const config = fixture();
  const role = roleOf(config, 'web');
  const line = render(appRun({ config, role, version: '999', env: { clear: [['X', 'a"b $(id) `id` ${HOME}']], secrets: [] } }));
  assert.ok(line.includes('--env X="a\\"b \\$(id) \\`id\\` ${HOME}" --env-file'));
});

// --- start, stop, status ------------------------------------------------------------------------

test('start, with and without a destination', () => {
  assert.is(render(appStart(fixture(), roleOf(fixture(), 'web'), '999')), 'docker start app-web-999');
  const staging = fixture('deploy', 'staging');
  assert.is(render(appStart(staging, roleOf(staging, 'web'), '999')), 'docker start app-web-staging-999');
});

test('stop: the current container, no -t for the proxy role', () => {
  const config = fixture();
  assert.is(render(appStop(config, roleOf(config, 'web'))), `/usr/bin/env ${RUNNING_WEB} | xargs docker stop`);
});

test('stop with a custom drain timeout: -t only for roles without the proxy', () => {
  const config = fixture('drain');
  assert.is(render(appStop(config, roleOf(config, 'web'))), `/usr/bin/env ${RUNNING_WEB} | xargs docker stop`);
  const workers = PROBE('--filter label=service=app --filter label=destination= --filter label=role=workers', 'dhh/app:latest', '--quiet');
  assert.is(render(appStop(config, roleOf(config, 'workers'))), `/usr/bin/env ${workers} | xargs docker stop -t 20`);
});

test('stop a version', () => {
  const config = fixture();
  assert.is(render(appStop(config, roleOf(config, 'web'), '123')), 'docker container ls --all --filter name=^app-web-123$ --quiet | xargs docker stop');
  const hey = fixture('hey');
  assert.is(render(appStop(hey, roleOf(hey, 'workers'), 'abc1230')), 'docker container ls --all --filter name=^hey-workers-abc1230$ --quiet | xargs docker stop -t 30');
});

test('recorded stop of the current container (s05 search role without the proxy)', () => {
  const hey = fixture('hey');
  assert.is(render(appStop(hey, roleOf(hey, 'workers'))),
    "/usr/bin/env sh -c 'docker ps --latest --quiet --filter label=service=hey --filter label=destination= --filter label=role=workers --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=registry.example.com/acme/hey:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --quiet --filter label=service=hey --filter label=destination= --filter label=role=workers --filter status=running --filter status=restarting' | head -1 | xargs docker stop -t 30");
});

test('status: health or state of a version', () => {
  const hey = fixture('hey');
  assert.is(render(appStatus(hey, roleOf(hey, 'workers'), 'abc1234')),
    "docker container ls --all --filter name=^hey-workers-abc1234$ --quiet | xargs docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'");
});

test('details (info), with and without a destination', () => {
  assert.is(render(appDetails(fixture(), roleOf(fixture(), 'web'))), `docker ps ${WEB_FILTERS}`);
  const staging = fixture('deploy', 'staging');
  assert.is(render(appDetails(staging, roleOf(staging, 'web'))),
    'docker ps --filter label=service=app --filter label=destination=staging --filter label=role=web');
});

test('ensure env directory', () => {
  assert.is(render(ensureEnvDirectory(fixture('shop'))), '/usr/bin/env mkdir -p .kamal/apps/shop/env/roles');
  assert.is(render(ensureEnvDirectory(fixture('deploy', 'staging'))), '/usr/bin/env mkdir -p .kamal/apps/app-staging/env/roles');
});

// --- which version runs -------------------------------------------------------------------------

test('current running container id, with and without a destination', () => {
  const config = fixture();
  assert.is(render(currentRunningContainerId(config, roleOf(config, 'web'))), `/usr/bin/env ${RUNNING_WEB}`);
  const staging = fixture('deploy', 'staging');
  assert.is(render(currentRunningContainerId(staging, roleOf(staging, 'web'))),
    `/usr/bin/env ${PROBE('--filter label=service=app --filter label=destination=staging --filter label=role=web', 'dhh/app:latest-staging', '--quiet')}`);
});

test('container id for a name and a version', () => {
  assert.is(render(containerIdFor('app-999')), 'docker container ls --all --filter name=^app-999$ --quiet');
  assert.is(render(containerIdFor('app-999', { onlyRunning: true })), 'docker container ls --filter name=^app-999$ --quiet');
  const shop = fixture('shop');
  assert.is(render(containerIdForVersion(shop, roleOf(shop, 'web'), 'abc1234')), 'docker container ls --all --filter name=^shop-web-abc1234$ --quiet');
  assert.is(render(containerIdForVersion(shop, roleOf(shop, 'web'), '')), 'docker container ls --all --filter name=^shop-web-$ --quiet');
});

test('current running version', () => {
  const config = fixture();
  assert.is(render(currentRunningVersion(config, roleOf(config, 'web'))),
    `/usr/bin/env ${PROBE(WEB_FILTERS, 'dhh/app:latest', "--format '\\''{{.Names}}'\\''")} | while read line; do echo \${line#app-web-}; done`);
  const shop = fixture('shop');
  assert.is(render(currentRunningVersion(shop, roleOf(shop, 'web'))),
    "/usr/bin/env sh -c 'docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=shop --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=registry.example.com/acme/shop:latest --format '\\''{{.ID}}'\\'') ; docker ps --latest --format '\\''{{.Names}}'\\'' --filter label=service=shop --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting' | head -1 | while read line; do echo ${line#shop-web-}; done");
});

test('list versions', () => {
  const config = fixture();
  const web = roleOf(config, 'web');
  assert.is(render(listVersions(config, web)),
    `docker ps ${WEB_FILTERS} --format "{{.Names}}" | while read line; do echo \${line#app-web-}; done`);
  assert.is(render(listVersions(config, web, { dockerArgs: ['--latest'], statuses: ['running', 'restarting'] })),
    `docker ps ${WEB_FILTERS} --filter status=running --filter status=restarting --latest --format "{{.Names}}" | while read line; do echo \${line#app-web-}; done`);
  const hey = fixture('hey');
  assert.is(render(listVersions(hey, roleOf(hey, 'workers'))),
    'docker ps --filter label=service=hey --filter label=destination= --filter label=role=workers --format "{{.Names}}" | while read line; do echo ${line#hey-workers-}; done');
});

// --- containers and images ----------------------------------------------------------------------

test('list containers and names', () => {
  const config = fixture();
  assert.is(render(listContainers(config, roleOf(config, 'web'))), `docker container ls --all ${WEB_FILTERS}`);
  assert.is(render(listContainers(config)), 'docker container ls --all --filter label=service=app --filter label=destination=');
  const staging = fixture('deploy', 'staging');
  assert.is(render(listContainers(staging, roleOf(staging, 'web'))),
    'docker container ls --all --filter label=service=app --filter label=destination=staging --filter label=role=web');
  assert.is(render(listContainerNames(config, roleOf(config, 'web'))), `docker container ls --all ${WEB_FILTERS} --format '{{ .Names }}'`);
});

test('remove a container, with and without a destination', () => {
  const config = fixture();
  assert.is(render(removeContainer(config, roleOf(config, 'web'), '999')),
    'docker container ls --all --filter name=^app-web-999$ --quiet | xargs docker container rm');
  const staging = fixture('deploy', 'staging');
  assert.is(render(removeContainer(staging, roleOf(staging, 'web'), '999')),
    'docker container ls --all --filter name=^app-web-staging-999$ --quiet | xargs docker container rm');
});

test('remove containers', () => {
  const config = fixture();
  assert.is(render(removeContainers(config, roleOf(config, 'web'))), `docker container prune --force ${WEB_FILTERS}`);
  const staging = fixture('deploy', 'staging');
  assert.is(render(removeContainers(staging, roleOf(staging, 'web'))),
    'docker container prune --force --filter label=service=app --filter label=destination=staging --filter label=role=web');
});

test('rename and health log', () => {
  const hey = fixture('hey');
  assert.is(render(renameContainer(hey, roleOf(hey, 'web'), 'abc1230', 'abc1230_replaced_1d2aae9ff5a248d6')),
    'docker rename hey-web-abc1230 hey-web-abc1230_replaced_1d2aae9ff5a248d6');
  assert.is(render(containerHealthLog(hey, roleOf(hey, 'web'), 'abc1234')),
    "docker container ls --all --filter name=^hey-web-abc1234$ --quiet | xargs docker inspect --format '{{json .State.Health}}'");
});

test('images: list, remove (destination ignored), tag latest', () => {
  assert.is(render(listImages(fixture())), 'docker image ls dhh/app');
  assert.is(render(removeImages(fixture())), 'docker image prune --all --force --filter label=service=app');
  assert.is(render(removeImages(fixture('deploy', 'staging'))), 'docker image prune --all --force --filter label=service=app');
  assert.is(render(tagLatestImage(fixture(), '999')), 'docker tag dhh/app:999 dhh/app:latest');
  assert.is(render(tagLatestImage(fixture('deploy', 'staging'), '999')), 'docker tag dhh/app:999 dhh/app:latest-staging');
  assert.is(render(tagLatestImage(fixture('hey'), 'abc1234')), 'docker tag registry.example.com/acme/hey:abc1234 registry.example.com/acme/hey:latest');
});

test('remove app directories', () => {
  assert.equal(removeAppDirectories(fixture()).map((command) => render(command)),
    ['/usr/bin/env rm -r .kamal/apps/app', '/usr/bin/env rm -r .kamal/proxy/apps-config/app']);
  assert.equal(removeAppDirectories(fixture('deploy', 'staging')).map((command) => render(command)),
    ['/usr/bin/env rm -r .kamal/apps/app-staging', '/usr/bin/env rm -r .kamal/proxy/apps-config/app-staging']);
});

// --- logs ---------------------------------------------------------------------------------------

test('logs: defaults, container id, since, lines, grep', () => {
  const config = fixture();
  const web = roleOf(config, 'web');
  const logs = (options: Parameters<typeof appLogs>[2]) => render(appLogs(config, web, options));
  const current = `/usr/bin/env ${RUNNING_WEB}`;
  assert.is(logs({}), `${current} | xargs docker logs --timestamps 2>&1`);
  assert.is(logs({ containerId: 'C137' }), '/usr/bin/env echo C137 | xargs docker logs --timestamps 2>&1');
  assert.is(logs({ since: '5m' }), `${current} | xargs docker logs --timestamps --since 5m 2>&1`);
  assert.is(logs({ lines: '100' }), `${current} | xargs docker logs --timestamps --tail 100 2>&1`);
  assert.is(logs({ since: '5m', lines: 100 }), `${current} | xargs docker logs --timestamps --since 5m --tail 100 2>&1`);
  assert.is(logs({ grep: 'my-id' }), `${current} | xargs docker logs --timestamps 2>&1 | grep 'my-id'`);
  assert.is(logs({ grep: 'my-id', grepOptions: '-C 2' }), `${current} | xargs docker logs --timestamps 2>&1 | grep 'my-id' -C 2`);
  assert.is(logs({ since: '5m', grep: 'my-id', grepOptions: '-C 2' }), `${current} | xargs docker logs --timestamps --since 5m 2>&1 | grep 'my-id' -C 2`);
  assert.is(logs({ since: '5m', grep: 'my-id' }), `${current} | xargs docker logs --timestamps --since 5m 2>&1 | grep 'my-id'`);
  assert.is(logs({ timestamps: false, containerId: containerIdForVersion(config, web, '999') }),
    'docker container ls --all --filter name=^app-web-999$ --quiet | xargs docker logs 2>&1');
  assert.is(logs({ grep: "it's" }), `${current} | xargs docker logs --timestamps 2>&1 | grep 'it'\\''s'`);
});

test('follow logs over ssh', () => {
  const config = fixture();
  const web = roleOf(config, 'web');
  const follow = (options: Parameters<typeof followAppLogs>[3]) => render(followAppLogs(config, web, 'app-1', options), { mapFirstToken: false });
  const probe = "ssh -t root@app-1 -p 22 'sh -c '\\''docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting --filter ancestor=$(docker image ls --filter reference=dhh/app:latest --format '\\''\\'\\'''\\''{{.ID}}'\\''\\'\\'''\\'') ; docker ps --latest --quiet --filter label=service=app --filter label=destination= --filter label=role=web --filter status=running --filter status=restarting'\\'' | head -1";
  assert.is(follow({}), `${probe} | xargs docker logs --timestamps --follow 2>&1'`);
  assert.is(follow({ grep: 'Completed' }), `${probe} | xargs docker logs --timestamps --follow 2>&1 | grep "Completed"'`);
  assert.is(follow({ lines: 123, grep: 'Completed' }), `${probe} | xargs docker logs --timestamps --tail 123 --follow 2>&1 | grep "Completed"'`);
  assert.is(follow({ timestamps: false, lines: 123, grep: 'Completed' }), `${probe} | xargs docker logs --tail 123 --follow 2>&1 | grep "Completed"'`);
});

// --- app exec -----------------------------------------------------------------------------------

test('execute in a new container', () => {
  const exec = (name: string, options: { env?: Record<string, string>; detach?: boolean } = {}) => {
    const config = fixture(name);
    const host = config.roles[0]!.hosts[0]!;
    return render(execInNewContainer({ config, role: config.roles[0]!, hostEnv: envFor(config, config.roles[0]!.name, host), version: '999', command: 'bin/rails db:setup', ...options }));
  };
  assert.is(exec('deploy'), 'docker run --rm --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails db:setup');
  assert.is(exec('logging'), 'docker run --rm --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" dhh/app:999 bin/rails db:setup');
  assert.is(exec('deploy', { env: { foo: 'bar' } }), 'docker run --rm --network kamal --env-file .kamal/apps/app/env/roles/web.env --env foo="bar" --log-opt max-size="10m" dhh/app:999 bin/rails db:setup');
  assert.is(exec('deploy', { detach: true }), 'docker run --detach --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails db:setup');
  assert.is(exec('tags'), 'docker run --rm --network kamal --env ENV1="value1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails db:setup');
  assert.is(exec('volumes'), 'docker run --rm --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --volume /local/path:/container/path dhh/app:999 bin/rails db:setup');
});

test('execute in a new container with custom options', () => {
  const config = fixture('options');
  const jobs = roleOf(config, 'jobs');
  assert.is(render(execInNewContainer({ config, role: jobs, hostEnv: envFor(config, 'jobs', '1.1.1.2'), version: '999', command: 'bin/rails db:setup' })),
    'docker run --rm --network kamal --env-file .kamal/apps/app/env/roles/jobs.env --log-opt max-size="10m" --mount "somewhere" --cap-add dhh/app:999 bin/rails db:setup');
});

test('execute in the existing container, plain and with env (recorded app exec --reuse)', () => {
  const config = fixture();
  const web = roleOf(config, 'web');
  assert.is(render(execInExistingContainer({ config, role: web, version: '999', command: 'bin/rails db:setup' })), 'docker exec app-web-999 bin/rails db:setup');
  assert.is(render(execInExistingContainer({ config, role: web, version: '999', command: 'bin/rails db:setup', env: { foo: 'bar' } })),
    'docker exec --env foo="bar" app-web-999 bin/rails db:setup');
  const shop = fixture('shop');
  assert.is(render(execInExistingContainer({ config: shop, role: roleOf(shop, 'web'), version: 'abc1234', command: 'bin/rails about' })),
    'docker exec shop-web-abc1234 bin/rails about');
});

test('interactive exec over ssh', () => {
  const config = fixture('tags');
  const web = roleOf(config, 'web');
  assert.is(render(execInNewContainerOverSsh({ config, role: web, host: '1.1.1.1', hostEnv: envFor(config, 'web', '1.1.1.1'), version: '999', command: 'bin/rails c' }), { mapFirstToken: false }),
    `ssh -t root@1.1.1.1 -p 22 'docker run -it --rm --network kamal --env ENV1="value1" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 bin/rails c'`);
  assert.is(render(execInExistingContainerOverSsh({ config, role: web, host: '1.1.1.1', version: '999', command: 'bin/rails c' }), { mapFirstToken: false }),
    `ssh -t root@1.1.1.1 -p 22 'docker exec -it app-web-999 bin/rails c'`);
  const options = fixture('options');
  assert.match(render(execInNewContainerOverSsh({ config: options, role: roleOf(options, 'web'), host: '1.1.1.1', hostEnv: envFor(options, 'web', '1.1.1.1'), version: '999', command: "echo 'hi'" })),
    `'docker run -it --rm --network kamal --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" dhh/app:999 echo '\\''hi'\\'''`);
});

test('ssh settings: user, port, jump host, keys, keys only, proxy command', () => {
  const over = (name: string) => {
    const config = fixture(name);
    return render(execInExistingContainerOverSsh({ config, role: config.roles[0]!, host: '1.1.1.1', version: '1', command: 'ls' }), { mapFirstToken: false });
  };
  assert.is(over('ssh-jump'), "ssh -J root@2.2.2.2 -t app@1.1.1.1 -p 22 'docker exec -it app-web-1 ls'");
  assert.is(over('ssh-keys'), "ssh -J app@2.2.2.2 -i path_to_key.pem -i ~/'.ssh/other key' -o IdentitiesOnly=yes -t root@1.1.1.1 -p 2222 'docker exec -it app-web-1 ls'");
  assert.is(over('ssh-command'), "ssh -o ProxyCommand='ssh -W %h:%p user@proxy-server' -t root@1.1.1.1 -p 22 'docker exec -it app-web-1 ls'");
});

test('exec env values keep spaces inside one quoted word', () => {
  const config = fixture();
  const web = roleOf(config, 'web');
  const line = renderForDisplay(execInExistingContainer({ config, role: web, version: '999', command: 'env', env: [['A', 'x y']] }));
  assert.is(line, 'docker exec --env A="x y" app-web-999 env');
});

test.run();
