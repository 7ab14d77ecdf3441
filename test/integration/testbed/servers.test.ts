// The testbed's servers behave like real ones: SSH as root with the testbed key, a docker daemon of
// their own, registry logins and pulls, and the real kamal-proxy booted exactly as Kamal boots it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootExample, buildAndPushExample, connectSsh, exampleImage, httpGet, KAMAL_PROXY_BOOT, onServer, sshExec, testbedOrExit } from './helpers.ts';

const tb = await testbedOrExit({ servers: 3, fresh: true });
const version = `v${Date.now().toString(36)}`;
const dockerConfig = mkdtempSync(join(tmpdir(), 'sextant-testbed-docker-'));

test.after(() => rmSync(dockerConfig, { recursive: true, force: true }));

test('three servers, each with its own address', () => {
  assert.is(tb.servers.length, 3);
  assert.equal(
    tb.servers.map((s) => s.ip),
    ['10.213.0.11', '10.213.0.12', '10.213.0.13'],
  );
});

test('each server answers SSH (ssh2, root, testbed key) and runs its own dockerd', async () => {
  for (const server of tb.servers) {
    const r = await onServer(tb, server, `hostname && docker version --format '{{.Server.Version}}' && docker info --format '{{.Name}}'`);
    assert.is(r.code, 0, `${server.name}: ${r.stderr}`);
    const [hostname, serverVersion, daemonName] = r.stdout.trim().split('\n');
    assert.is(hostname, server.name);
    assert.match(serverVersion ?? '', /^20\.10\./);
    assert.is(daemonName, server.name, 'the daemon reached over SSH is the server\'s own');
  }
});

test('a container started on one server is not seen by the others', async () => {
  const [first, ...others] = tb.servers;
  if (!first) throw new Error('no servers');
  const started = await onServer(tb, first, `docker run -d --name only-on-${first.name} --entrypoint sleep ${tb.proxyImage} 300`);
  assert.is(started.code, 0, started.stderr);
  const here = await onServer(tb, first, `docker ps --format '{{.Names}}'`);
  assert.ok(here.stdout.split('\n').includes(`only-on-${first.name}`));
  for (const other of others) {
    const there = await onServer(tb, other, `docker ps -a --format '{{.Names}}'`);
    assert.not.ok(there.stdout.includes(`only-on-${first.name}`), `${other.name} sees ${first.name}'s container`);
  }
  await onServer(tb, first, `docker rm -f only-on-${first.name}`);
});

test('the kamal-proxy image is loaded in every server under its upstream name', async () => {
  for (const server of tb.servers) {
    const r = await onServer(tb, server, `docker image inspect --format '{{.Config.User}} {{index .Config.Labels "org.opencontainers.image.title"}} {{json .Config.Cmd}}' ${tb.proxyImage}`);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.trim(), 'kamal-proxy:kamal-proxy kamal-proxy ["kamal-proxy","run"]');
  }
});

test('buildx on the deployer builds the example and pushes it to the registry', async () => {
  await buildAndPushExample(tb, version, dockerConfig);
});

test('servers log in to the registry and pull the example image', async () => {
  for (const server of tb.servers) {
    const client = await connectSsh(tb, server);
    try {
      const login = await sshExec(client, `docker login ${tb.registry.host} -u "${tb.registry.username}" -p "${tb.registry.password}"`);
      assert.is(login.code, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
      const pull = await sshExec(client, `docker pull ${exampleImage(tb, version)}`);
      assert.is(pull.code, 0, pull.stderr);
      const label = await sshExec(client, `docker inspect -f '{{ .Config.Labels.service }}' ${exampleImage(tb, version)}`);
      assert.is(label.stdout.trim(), 'hello');
    } finally {
      client.end();
    }
  }
});

test('kamal-proxy boots as Kamal boots it and serves the example app: /up is 200 from the root namespace', async () => {
  await Promise.all(tb.servers.map((server) => bootExample(tb, server, version)));
  for (const server of tb.servers) {
    const probe = await onServer(tb, server, `docker inspect kamal-proxy --format '{{.Config.Image}}' | awk -F: '{print $NF}'`);
    assert.is(probe.stdout.trim(), 'v0.9.0');
    const up = await httpGet(`http://${server.ip}/up`);
    assert.is(up.status, 200, `${server.name} /up`);
    const root = await httpGet(`http://${server.ip}/`);
    assert.is(root.body.trim(), version, `${server.name} / shows the deployed version`);
  }
});

test('a second boot starts the existing proxy container instead of running a new one', async () => {
  const server = tb.servers[0];
  if (!server) throw new Error('no servers');
  const before = await onServer(tb, server, `docker inspect kamal-proxy --format '{{.Id}}'`);
  const again = await onServer(tb, server, KAMAL_PROXY_BOOT);
  assert.is(again.code, 0, again.stderr);
  const after = await onServer(tb, server, `docker inspect kamal-proxy --format '{{.Id}}'`);
  assert.is(after.stdout.trim(), before.stdout.trim());
});

test('a custom proxy image from the test registry boots through .kamal/proxy/image', async () => {
  const server = tb.servers[2];
  if (!server) throw new Error('no third server');
  const [repository, tag] = tb.customProxyImage.split(/:(?=[^:]+$)/);
  const client = await connectSsh(tb, server);
  try {
    const steps = [
      'docker container stop kamal-proxy',
      'docker container prune --force --filter label=org.opencontainers.image.title=kamal-proxy',
      '/usr/bin/env mkdir -p .kamal/proxy',
      `printf %s '${repository}' > .kamal/proxy/image`,
      `printf %s '${tag}' > .kamal/proxy/image_version`,
      KAMAL_PROXY_BOOT.replace('docker container start kamal-proxy || ', ''),
    ];
    for (const step of steps) {
      const r = await sshExec(client, step);
      assert.is(r.code, 0, `${step}: ${r.stderr}`);
    }
    const image = await sshExec(client, `docker inspect kamal-proxy --format '{{.Config.Image}}'`);
    assert.is(image.stdout.trim(), tb.customProxyImage);
    const redeploy = await sshExec(
      client,
      `docker exec kamal-proxy kamal-proxy deploy hello-web --target="$(docker container ls --all --filter name=^hello-web-${version}$ --quiet):80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses`,
    );
    assert.is(redeploy.code, 0, redeploy.stderr);
    const up = await httpGet(`http://${server.ip}/up`);
    assert.is(up.status, 200);
    await sshExec(client, 'rm -f .kamal/proxy/image .kamal/proxy/image_version');
  } finally {
    client.end();
  }
});

test.run();
