// Accessories: Kamal's test/commands/accessory_test.rb, the lines recorded in s05 (accessory boot,
// reboot, remove) and KAMAL-FACTS §3.4.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  accessoryContainerId,
  accessoryEnvDirectory,
  accessoryExists,
  accessoryFileSteps,
  accessoryInfo,
  accessoryLogs,
  accessoryRegistry,
  deployAccessoryToProxy,
  ensureAccessoryDirectories,
  ensureAccessoryEnvDirectory,
  execInAccessoryContainer,
  execInNewAccessoryContainer,
  followAccessoryLogs,
  loggingArgs,
  pruneAccessoryContainer,
  removeAccessoryContainer,
  removeAccessoryFromProxy,
  removeAccessoryImage,
  removeAccessoryServiceDirectory,
  runAccessory,
  startAccessory,
  stopAccessory,
} from '../../../src/commands/accessory.ts';
import { runOverSsh } from '../../../src/commands/docker.ts';
import { envFileContent } from '../../../src/commands/env-file.ts';
import { login } from '../../../src/commands/registry.ts';
import { render, renderForDisplay, renderWord } from '../../../src/commands/shell.ts';
import { accessoryEnv, type Config } from '../../../src/config/index.ts';
import { loadFixture, secretsFrom } from '../../fixtures/commands/b/load.ts';

function accessoryOf(config: Config, name: string) {
  const found = config.accessories.find((accessory) => accessory.name === name);
  if (!found) throw new Error(`no accessory ${name} in fixture`);
  return found;
}

const kamal = loadFixture('accessory.yml');
const mysql = accessoryOf(kamal, 'mysql');
const redis = accessoryOf(kamal, 'redis');
const busybox = accessoryOf(kamal, 'busybox');

test('run (Kamal accessory_test.rb)', () => {
  assert.is(render(runAccessory(kamal, mysql)),
    'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" private.registry/mysql:8.0');
  assert.is(render(runAccessory(kamal, redis)),
    'docker run --name app-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 6379:6379 --env SOMETHING="else" --env-file .kamal/apps/app/env/accessories/redis.env --volume /var/lib/redis:/data --label service="app-redis" --label cache="true" redis:latest');
  assert.is(render(runAccessory(kamal, busybox)),
    'docker run --name custom-busybox --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --env-file .kamal/apps/app/env/accessories/busybox.env --label service="custom-busybox" other.registry/busybox:latest');
});

test('run with a logging config, and in a custom network', () => {
  const config = loadFixture('accessory-logging.yml');
  assert.is(render(runAccessory(config, accessoryOf(config, 'busybox'))),
    'docker run --name custom-busybox --detach --restart unless-stopped --network kamal --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --env-file .kamal/apps/app/env/accessories/busybox.env --label service="custom-busybox" other.registry/busybox:latest');
  assert.is(render(runAccessory(config, accessoryOf(config, 'mysql'))),
    'docker run --name app-mysql --detach --restart unless-stopped --network custom --log-driver "local" --log-opt max-size="100m" --log-opt max-file="3" --publish 3306:3306 --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" private.registry/mysql:8.0');
  assert.equal(loggingArgs(kamal.logging).map((word) => renderWord(word)), ['--log-opt', 'max-size="10m"']);
});

test('start, stop, info, existence check', () => {
  assert.is(render(startAccessory(mysql)), 'docker container start app-mysql');
  assert.is(render(stopAccessory(mysql)), 'docker container stop app-mysql');
  assert.is(render(accessoryInfo(mysql)), 'docker ps --filter label=service=app-mysql');
  assert.is(render(accessoryExists(mysql)), 'docker ps -a -q --filter label=service=app-mysql');
});

test('exec in a new container and in the existing one', () => {
  assert.is(render(execInNewAccessoryContainer(mysql, 'mysql -u root')),
    'docker run --rm --network kamal --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env private.registry/mysql:8.0 mysql -u root');
  assert.is(render(execInAccessoryContainer(mysql, 'mysql -u root')), 'docker exec app-mysql mysql -u root');
  assert.is(render(execInNewAccessoryContainer(mysql, 'mysql -u root', { interactive: true })),
    'docker run -it --rm --network kamal --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env private.registry/mysql:8.0 mysql -u root');
  assert.is(render(execInAccessoryContainer(mysql, 'mysql -u root', { interactive: true })), 'docker exec -it app-mysql mysql -u root');
  assert.is(render(execInNewAccessoryContainer(redis, 'redis-cli')),
    'docker run --rm --network kamal --env SOMETHING="else" --env-file .kamal/apps/app/env/accessories/redis.env --volume /var/lib/redis:/data redis:latest redis-cli');
});

test('logs, with Kamal\'s double spaces before --since and --tail', () => {
  assert.is(render(accessoryLogs(mysql)), 'docker logs app-mysql --timestamps 2>&1');
  assert.is(render(accessoryLogs(mysql, { since: '5m', lines: 100, grep: 'thing' })),
    "docker logs app-mysql  --since 5m  --tail 100 --timestamps 2>&1 | grep 'thing'");
  assert.is(render(accessoryLogs(mysql, { since: '5m', lines: 100, grep: 'thing', grepOptions: '-C 2' })),
    "docker logs app-mysql  --since 5m  --tail 100 --timestamps 2>&1 | grep 'thing' -C 2");
  assert.is(render(accessoryLogs(mysql, { timestamps: false, since: '5m', lines: 100, grep: 'thing', grepOptions: '-C 2' })),
    "docker logs app-mysql  --since 5m  --tail 100 2>&1 | grep 'thing' -C 2");
  assert.is(render(accessoryLogs(mysql, { grep: "it's" })), "docker logs app-mysql --timestamps 2>&1 | grep 'it'\\''s'");
});

test('follow logs (the command run over ssh)', () => {
  assert.is(render(followAccessoryLogs(mysql)), 'docker logs app-mysql --timestamps --tail 10 --follow 2>&1');
  assert.is(render(followAccessoryLogs(mysql, { timestamps: false })), 'docker logs app-mysql --tail 10 --follow 2>&1');
  assert.is(render(followAccessoryLogs(mysql, { grep: 'GET /up', grepOptions: '-i' })), 'docker logs app-mysql --timestamps --tail 10 --follow 2>&1 | grep "GET /up" -i');
});

test('follow logs and interactive exec over ssh (with docker.ts runOverSsh, rendered locally)', () => {
  const host = mysql.hosts[0]!;
  assert.is(render(runOverSsh(kamal.ssh, host, followAccessoryLogs(mysql)), { mapFirstToken: false }),
    "ssh -t root@1.1.1.5 -p 22 'docker logs app-mysql --timestamps --tail 10 --follow 2>&1'");
  assert.is(render(runOverSsh(kamal.ssh, host, followAccessoryLogs(mysql, { timestamps: false })), { mapFirstToken: false }),
    "ssh -t root@1.1.1.5 -p 22 'docker logs app-mysql --tail 10 --follow 2>&1'");
  assert.match(render(runOverSsh(kamal.ssh, host, execInAccessoryContainer(mysql, 'mysql -u root', { interactive: true })), { mapFirstToken: false }),
    'docker exec -it app-mysql mysql -u root');
});

test('remove container, image, service directory', () => {
  assert.is(render(removeAccessoryContainer(mysql)), 'docker container prune --force --filter label=service=app-mysql');
  assert.is(render(pruneAccessoryContainer(mysql)), 'docker container prune --force --filter label=service=app-mysql');
  assert.is(render(removeAccessoryImage(mysql)), 'docker image rm --force private.registry/mysql:8.0');
  assert.is(render(removeAccessoryServiceDirectory(mysql)), '/usr/bin/env rm -rf app-mysql');
});

test('kamal-proxy deploy with the accessory proxy (Kamal accessory_test.rb "deploy")', () => {
  assert.is(render(deployAccessoryToProxy({ config: kamal, accessory: busybox, target: '172.1.0.2', version: '123' })),
    'docker exec kamal-proxy kamal-proxy deploy custom-busybox --target="172.1.0.2:80" --host="busybox.example.com" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"');
  assert.is(render(removeAccessoryFromProxy(busybox)), 'docker exec kamal-proxy kamal-proxy remove custom-busybox');
  assert.is(render(accessoryContainerId(busybox)), 'docker container ls --filter name=^custom-busybox$ --quiet');
  assert.throws(() => deployAccessoryToProxy({ config: kamal, accessory: mysql, target: 'x', version: '1' }), /no proxy/);
});

test('a full accessory proxy hash: its own settings only, root deploy timeouts, error pages', () => {
  const config = loadFixture('accessory-proxy.yml', 'staging');
  const grafana = accessoryOf(config, 'grafana');
  assert.is(render(deployAccessoryToProxy({ config, accessory: grafana, target: '0123456789ab', version: '999' })),
    'docker exec kamal-proxy kamal-proxy deploy app-grafana --target="0123456789ab:3000" --host="grafana.example.com" --host="metrics.example.com" --tls --deploy-timeout="40s" --drain-timeout="30s" --health-check-interval="2s" --health-check-timeout="3s" --health-check-path="/api/health" --buffer-requests="false" --buffer-responses --max-response-body="1000" --forward-headers --tls-redirect="false" --log-request-header="X-Request-Id" --log-response-header="X-Runtime" --error-pages="/home/kamal-proxy/.apps-config/app-staging/error_pages/999"');
  assert.is(render(runAccessory(config, grafana)),
    'docker run --name app-grafana --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --env-file .kamal/apps/app-staging/env/accessories/grafana.env --label service="app-grafana" --label team="ops" --memory "512m" --cap-add ghcr.io/grafana/grafana:11 grafana server --homepath=/usr/share/grafana');
  const secrets = secretsFrom({ GHCR_USER: 'octo', GHCR_TOKEN: 'ghp_$ecret' });
  const registryLogin = login({ registry: accessoryRegistry(config, grafana), secrets });
  assert.is(render(registryLogin), 'docker login ghcr.io -u "octo" -p "ghp_\\$ecret"');
  assert.is(renderForDisplay(registryLogin), 'docker login ghcr.io -u [REDACTED] -p [REDACTED]');
  assert.is(accessoryEnvDirectory(config), '.kamal/apps/app-staging/env/accessories');
});

// --- the s05 recording -------------------------------------------------------------------------

const cart = loadFixture('accessory-cart.yml');
const s05Secrets = secretsFrom({ KAMAL_REGISTRY_PASSWORD: 'SEXTANT-CANARY-REGISTRY-PASSWORD', DB_PASSWORD: 'SEXTANT-CANARY-DB-PASSWORD', MEILI_MASTER_KEY: 'SEXTANT-CANARY-MEILI-MASTER-KEY' });

function envFileFor(config: Config, name: string): string {
  return envFileContent(accessoryEnv(config, name).secrets.map(([envName, secretName]) => [envName, s05Secrets(secretName)] as const));
}

test('s05 accessory boot redis: login, exists?, directories, env dir, env file, run', () => {
  const redisCart = accessoryOf(cart, 'redis');
  assert.equal(redisCart.hosts, ['10.0.5.20']);
  assert.is(render(login({ registry: accessoryRegistry(cart, redisCart), secrets: s05Secrets })),
    'docker login registry.example.com -u "deployer" -p "SEXTANT-CANARY-REGISTRY-PASSWORD"');
  assert.is(render(accessoryExists(redisCart)), 'docker ps -a -q --filter label=service=cart-redis');
  assert.equal(ensureAccessoryDirectories(redisCart).map((command) => render(command)), ['/usr/bin/env mkdir -p $PWD/cart-redis/data']);
  assert.equal(accessoryFileSteps(redisCart), []);
  assert.is(render(ensureAccessoryEnvDirectory(cart)), '/usr/bin/env mkdir -p .kamal/apps/cart/env/accessories');
  assert.is(envFileFor(cart, 'redis'), '\n');
  assert.is(render(runAccessory(cart, redisCart)),
    'docker run --name cart-redis --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 127.0.0.1:6379:6379 --env-file .kamal/apps/cart/env/accessories/redis.env --volume $PWD/cart-redis/data:/data --label service="cart-redis" --memory "256m" redis:7.2 redis-server --appendonly yes');
});

test('s05 accessory boot db (by tag): directories, files mkdir + chmod, aliased secret, run', () => {
  const db = accessoryOf(cart, 'db');
  assert.equal(db.hosts, ['10.0.5.12']);
  assert.equal(ensureAccessoryDirectories(db).map((command) => render(command)),
    ['/usr/bin/env mkdir -p $PWD/cart-db/pgdata', '/usr/bin/env mkdir -p /srv/backups']);
  const [file, ...others] = accessoryFileSteps(db);
  assert.is(others.length, 0);
  assert.is(file!.local, 'config/db/init.sql');
  assert.is(file!.remote, 'cart-db/docker-entrypoint-initdb.d/init.sql');
  assert.is(render(file!.makeDirectory), '/usr/bin/env mkdir -p cart-db/docker-entrypoint-initdb.d');
  assert.is(render(file!.chmod), '/usr/bin/env chmod 755 cart-db/docker-entrypoint-initdb.d/init.sql');
  assert.is(envFileFor(cart, 'db'), 'POSTGRES_PASSWORD=SEXTANT-CANARY-DB-PASSWORD\n');
  assert.is(render(runAccessory(cart, db)),
    'docker run --name cart-db --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 5432:5432 --env POSTGRES_USER="cart" --env-file .kamal/apps/cart/env/accessories/db.env --volume $PWD/cart-db/docker-entrypoint-initdb.d/init.sql:/docker-entrypoint-initdb.d/init.sql --volume $PWD/cart-db/pgdata:/var/lib/postgresql/data --volume /srv/backups:/backups --label service="cart-db" --label backup="nightly" postgres:16');
});

test('s05 accessory boot meili (by role) and remove: stop, prune, image rm, rm -rf', () => {
  const meili = accessoryOf(cart, 'meili');
  assert.equal(meili.hosts, ['10.0.5.13']);
  assert.is(envFileFor(cart, 'meili'), 'MEILI_MASTER_KEY=SEXTANT-CANARY-MEILI-MASTER-KEY\n');
  assert.is(render(runAccessory(cart, meili)),
    'docker run --name cart-meili --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 7700:7700 --env-file .kamal/apps/cart/env/accessories/meili.env --volume /srv/meili:/meili_data --label service="cart-meili" getmeili/meilisearch:v1.7');
  assert.equal([stopAccessory(meili), removeAccessoryContainer(meili), removeAccessoryImage(meili), removeAccessoryServiceDirectory(meili)].map((command) => render(command)), [
    'docker container stop cart-meili',
    'docker container prune --force --filter label=service=cart-meili',
    'docker image rm --force getmeili/meilisearch:v1.7',
    '/usr/bin/env rm -rf cart-meili',
  ]);
});

test('KAMAL-FACTS §3.4 example: mysql with a host port, clear env and a data directory', () => {
  const config = loadFixture('facts-example.yml');
  const example = accessoryOf(config, 'mysql');
  assert.equal(ensureAccessoryDirectories(example).map((command) => render(command)), ['/usr/bin/env mkdir -p $PWD/app-mysql/data']);
  assert.is(render(runAccessory(config, example)),
    'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 127.0.0.1:3306:3306 --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/app-mysql/data:/var/lib/mysql --label service="app-mysql" mysql:8.0');
  assert.is(render(login({ registry: accessoryRegistry(config, example), secrets: secretsFrom({ KAMAL_REGISTRY_PASSWORD: 'pw' }) })),
    'docker login -u "dhh" -p "pw"');
});

test('hostile config values stay single words', () => {
  const hostile = { ...mysql, serviceName: 'a b;$(id)', volumes: ['$PWD/x y:/z', '/a;b:/c'], port: '1 2' };
  assert.is(render(runAccessory(kamal, hostile)),
    `docker run --name 'a b;$(id)' --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish '1 2' --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --volume $PWD/'x y:/z' --volume '/a;b:/c' --label service="app-mysql" private.registry/mysql:8.0`);
});

test.run();
