// Commands for the keys Kamal added after 2.6.0, each line as the Kamal version that brought it
// sends it; and configs without those keys keep Kamal 2.6.0's lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFor, loadConfig } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/types.ts';
import { appRun, appStop, deployToProxy } from '../../../src/commands/app.ts';
import { createBuilder } from '../../../src/commands/builder.ts';
import { runProxy, startOrRunProxy } from '../../../src/commands/proxy.ts';
import { localRegistryRemove, localRegistrySetup, login, needsLogin } from '../../../src/commands/registry.ts';
import { render } from '../../../src/commands/shell.ts';
import { tempProject } from '../config/temp-project.ts';

const BASE = `service: app
image: acme/app
builder:
  arch: amd64
registry:
  username: user
  password: [PASSWORD]
`;

function load(yaml: string, destination?: string): Config {
  const files: Record<string, string> = { 'config/deploy.yml': yaml };
  if (destination) files[`config/deploy.${destination}.yml`] = 'labels:\n  tier: x\n';
  const project = tempProject(files);
  try {
    return loadConfig({ cwd: project.dir, destination, env: {} });
  } finally {
    project.cleanup();
  }
}

const role = (config: Config, name = 'web') => config.roles.find((r) => r.name === name)!;
const run = (config: Config, host = '1.1.1.1', name = 'web') =>
  render(appRun({ config, role: role(config, name), env: envFor(config, name, host), version: '999', host }));
const deploy = (config: Config, name = 'web') => render(deployToProxy({ config, role: role(config, name), version: '999', target: 'abc123' }));

// --- KAMAL_HOST / KAMAL_DESTINATION --------------------------------------------------------------

test('docker run: without x-sextant/host_env, Kamal 2.6.0 line (-e, no KAMAL_HOST)', () => {
  assert.is(run(load(`${BASE}servers: [1.1.1.1]\n`)),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal -e KAMAL_CONTAINER_NAME="app-web-999" -e KAMAL_VERSION="999" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination acme/app:999');
});

test('docker run: x-sextant/host_env gives Kamal 2.10 --env KAMAL_HOST, and KAMAL_DESTINATION with a destination', () => {
  const yaml = `${BASE}servers: [1.1.1.1, 1.1.1.2]\nx-sextant:\n  host_env: true\n`;
  assert.is(run(load(yaml), '1.1.1.2'),
    'docker run --detach --restart unless-stopped --name app-web-999 --network kamal --env KAMAL_CONTAINER_NAME="app-web-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.2" --env-file .kamal/apps/app/env/roles/web.env --log-opt max-size="10m" --label service="app" --label role="web" --label destination acme/app:999');
  assert.match(run(load(yaml, 'staging'), '1.1.1.1'),
    ' --env KAMAL_CONTAINER_NAME="app-web-staging-999" --env KAMAL_VERSION="999" --env KAMAL_HOST="1.1.1.1" --env KAMAL_DESTINATION="staging" --env-file ');
});

// --- kamal-proxy deploy: custom certificates and path prefixes ----------------------------------

test('kamal-proxy deploy: custom certificate paths after --tls (Kamal 2.7)', () => {
  const config = load(`${BASE}servers: [1.1.1.1, 1.1.1.2]
proxy:
  host: app.example.com
  ssl:
    certificate_pem: CERT_PEM
    private_key_pem: KEY_PEM
`);
  assert.is(deploy(config),
    'docker exec kamal-proxy kamal-proxy deploy app-web --target="abc123:80" --host="app.example.com" --tls --tls-certificate-path="/home/kamal-proxy/.apps-config/app/tls/web/cert.pem" --tls-private-key-path="/home/kamal-proxy/.apps-config/app/tls/web/key.pem" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"');
});

test('kamal-proxy deploy: --path-prefix per path and --strip-path-prefix after the buffer sizes (Kamal 2.7)', () => {
  const config = load(`${BASE}servers: [1.1.1.1]
proxy:
  path_prefix: /api,/oauth_callback
  strip_path_prefix: false
  buffering:
    max_response_body: 10
  forward_headers: true
`);
  assert.match(deploy(config),
    ' --max-response-body="10" --path-prefix="/api" --path-prefix="/oauth_callback" --strip-path-prefix="false" --forward-headers --log-request-header=');
  assert.not.match(deploy(load(`${BASE}servers: [1.1.1.1]\n`)), 'path-prefix');
});

// --- stop_timeout --------------------------------------------------------------------------------

test('docker stop -t: stop_timeout also for proxied roles (Kamal 2.12)', () => {
  const config = load(`${BASE}servers:
  web: [1.1.1.1]
  jobs:
    hosts: [1.1.1.2]
    stop_timeout: 90
stop_timeout: 40
`);
  assert.match(render(appStop(config, role(config, 'web'), '999')), /\| xargs docker stop -t 40$/);
  assert.match(render(appStop(config, role(config, 'jobs'), '999')), /\| xargs docker stop -t 90$/);
  assert.match(render(appStop(load(`${BASE}servers: [1.1.1.1]\n`), role(load(`${BASE}servers: [1.1.1.1]\n`)), '999')), /\| xargs docker stop$/);
});

// --- proxy/run -----------------------------------------------------------------------------------

test('proxy boot: without proxy/run, the boot_config files decide (Kamal 2.6.0)', () => {
  assert.match(render(startOrRunProxy()), /^docker container start kamal-proxy \|\| echo .* \| xargs docker run --name kamal-proxy /);
});

test('proxy boot: proxy/run gives one docker run (Kamal 2.10)', () => {
  const config = load(`${BASE}servers: [1.1.1.1]
proxy:
  run:
    http_port: 8080
    metrics_port: 9090
    debug: true
    log_max_size: 30m
    bind_ips: [127.0.0.1, "::1"]
    registry: registry:4443
    repository: myrepo/kamal-proxy
    version: v0.9.1
    options:
      memory: 512m
`);
  assert.is(render(startOrRunProxy(role(config).proxy!.run)),
    'docker container start kamal-proxy || docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config --publish 127.0.0.1:8080:80 --publish 127.0.0.1:443:443 --publish [::1]:8080:80 --publish [::1]:443:443 --log-opt max-size=30m --expose=9090 --memory "512m" registry:4443/myrepo/kamal-proxy:v0.9.1 kamal-proxy run --debug --metrics-port "9090"');
  const unpublished = load(`${BASE}servers: [1.1.1.1]\nproxy:\n  run:\n    publish: false\n`);
  assert.is(render(runProxy(role(unpublished).proxy!.run)),
    'docker run --name kamal-proxy --network kamal --detach --restart unless-stopped --volume kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy --volume $PWD/.kamal/proxy/apps-config:/home/kamal-proxy/.apps-config --log-opt max-size=10m basecamp/kamal-proxy:v0.9.0 kamal-proxy run');
});

// --- local registry ------------------------------------------------------------------------------

test('local registry (Kamal 2.8): no login; setup and remove of kamal-docker-registry', () => {
  const config = load(`service: app
image: acme/app
builder:
  arch: amd64
registry:
  server: localhost:5555
servers: [1.1.1.1]
`);
  assert.is(needsLogin(config.registry), false);
  assert.throws(() => login({ registry: config.registry, secrets: () => 'x' }), /no login/);
  assert.is(render(localRegistrySetup(5555)),
    'docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 --name kamal-docker-registry registry:3');
  assert.is(render(localRegistryRemove()), 'docker stop kamal-docker-registry && docker rm kamal-docker-registry');
  assert.match(run(config), ' localhost:5555/acme/app:999');
  assert.is(render(createBuilder(config.builder, 'local', 'amd64')),
    'docker buildx create --name kamal-local-registry-docker-container --driver=docker-container --driver-opt network=host', 'the builder reaches the registry on localhost (Kamal 2.8)');
  assert.is(needsLogin(load(`${BASE}servers: [1.1.1.1]\n`).registry), true);
});

test.run();
