// What the config resolves to where the mutation run of src/config found no test looking
// (docs/mutation.md): boot.limit's spellings, which roles run the proxy, asset bridging, logging
// defaults, proxy/run's image, a local registry's port, the fleet policy's percentages, alias names
// and the builder's whole-section checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, type Config } from '../../../src/config/index.ts';
import { tempProject } from './temp-project.ts';

const BASE = `service: app
image: acme/app
builder:
  arch: amd64
registry:
  username: user
  password: [PASSWORD]
`;

function load(yaml: string): Config {
  const project = tempProject({ 'config/deploy.yml': yaml });
  try {
    return loadConfig({ cwd: project.dir, env: {} });
  } finally {
    project.cleanup();
  }
}

function refusal(yaml: string): string {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');
    throw error;
  }
  assert.unreachable(`accepted:\n${yaml}`);
  return '';
}

const withServers = (servers: string) => `${BASE}servers:\n${servers}`;

test('boot.limit: whole numbers from 1 (as numbers or digits), percentages with optional leading spaces', () => {
  const limit = (value: string) => load(`${withServers('  web: [1.1.1.1]\n')}boot:\n  limit: ${value}\n`).boot.limit;
  assert.equal(limit('1'), { hosts: 1 });
  assert.equal(limit('"1"'), { hosts: 1 });
  assert.equal(limit('"12"'), { hosts: 12 });
  assert.equal(limit('" 5"'), { hosts: 5 });
  assert.equal(limit('"25%"'), { percent: 25 });
  assert.equal(limit('"  5%"'), { percent: 5 });
  for (const bad of ['0', '"0"', '"x5"', '"5x"', '"5.0"', '"1e1"', '"5%x"', '"x5%"', '"1.5"', '2.5', 'true']) {
    assert.match(refusal(`${withServers('  web: [1.1.1.1]\n')}boot:\n  limit: ${bad}\n`), 'boot/limit: should be a whole number of hosts (at least 1) or a percentage', bad);
  }
});

test('boot.parallel_roles is off unless set', () => {
  assert.is(load(withServers('  web: [1.1.1.1]\n')).boot.parallelRoles, false);
  assert.is(load(`${withServers('  web: [1.1.1.1]\n')}boot:\n  parallel_roles: true\n`).boot.parallelRoles, true);
});

test('the primary role runs the proxy unless proxy: false; another role only with proxy: true or a proxy hash', () => {
  const config = load(
    withServers(
      '  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n  api:\n    hosts: [1.1.1.3]\n    proxy: true\n  admin:\n    hosts: [1.1.1.4]\n    proxy:\n      host: admin.example.com\n  jobs:\n    hosts: [1.1.1.5]\n    proxy: false\n',
    ),
  );
  const runs = Object.fromEntries(config.roles.map((role) => [role.name, role.runsProxy]));
  assert.equal(runs, { web: true, admin: true, api: true, jobs: false, workers: false });
  assert.equal(config.roles.find((r) => r.name === 'admin')?.proxy?.hosts, ['admin.example.com']);
  assert.is(config.roles.find((r) => r.name === 'workers')?.proxy, undefined);
  const off = load(withServers('  web:\n    hosts: [1.1.1.1]\n    proxy: false\n'));
  assert.is(off.roles[0]?.runsProxy, false);
  assert.equal(off.proxyHosts, []);
});

test('asset bridging: an asset path on a role that runs the proxy; not on one without, not for an empty path', () => {
  const config = load(`${withServers('  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n')}asset_path: /app/public/assets\n`);
  const web = config.roles.find((r) => r.name === 'web');
  const workers = config.roles.find((r) => r.name === 'workers');
  assert.is(web?.assets, true);
  assert.is(web?.assetPath, '/app/public/assets');
  assert.is(workers?.assets, false);
  assert.is(workers?.assetPath, '/app/public/assets');
  const empty = load(`${withServers('  web: [1.1.1.1]\n')}asset_path: ""\n`);
  assert.is(empty.roles[0]?.assets, false);
  const none = load(withServers('  web: [1.1.1.1]\n'));
  assert.is(none.roles[0]?.assets, false);
  assert.not.ok('assetPath' in (none.roles[0] as object), 'no asset path key without asset_path');
});

test("a role's cmd and stop timeout are there only when given (a role without the proxy stops within the drain timeout)", () => {
  const config = load(`${withServers('  web: [1.1.1.1]\n  workers:\n    hosts: [1.1.1.2]\n    cmd: bin/jobs\n')}drain_timeout: 12\n`);
  const web = config.roles.find((r) => r.name === 'web') as object;
  const workers = config.roles.find((r) => r.name === 'workers');
  assert.not.ok('cmd' in web);
  assert.not.ok('stopTimeout' in web);
  assert.is(workers?.cmd, 'bin/jobs');
  assert.is(workers?.stopTimeout, 12);
});

test("logging: max-size 10m only when neither a driver nor options are set; a blank driver is no driver", () => {
  const logging = (section: string) => load(`${withServers('  web: [1.1.1.1]\n')}${section}`).logging;
  assert.equal(logging(''), { options: [['max-size', '10m']] });
  assert.equal(logging('logging:\n  driver: journald\n'), { driver: 'journald', options: [] });
  assert.equal(logging('logging:\n  driver: "  "\n'), { options: [['max-size', '10m']] });
  assert.equal(logging('logging:\n  options:\n    max-file: 3\n'), { options: [['max-file', '3']] });
});

test('docker options: a list repeats the option, true is a bare flag, null an empty value', () => {
  const config = load(withServers('  web:\n    hosts: [1.1.1.1]\n    options:\n      add-host: [a:1.1.1.1, b:2.2.2.2]\n      init: true\n      memory: 512m\n      cap-drop: null\n'));
  assert.equal(config.roles[0]?.options, [['add-host', 'a:1.1.1.1'], ['add-host', 'b:2.2.2.2'], ['init', true], ['memory', '512m'], ['cap-drop', '']]);
});

test("proxy/run: kamal-proxy's image from registry, repository and version, defaults otherwise", () => {
  const run = (section: string) => load(`${withServers('  web: [1.1.1.1]\n')}proxy:\n  run:\n${section}`).proxy.run;
  assert.equal(run('    http_port: 8080\n'), {
    httpPort: 8080,
    httpsPort: 443,
    debug: false,
    logMaxSize: '10m',
    publish: true,
    image: 'basecamp/kamal-proxy:v0.9.0',
    options: [],
  });
  const custom = run('    registry: registry.example.com\n    repository: acme/proxy\n    version: v0.9.1\n    metrics_port: 9000\n    bind_ips: [127.0.0.1]\n    debug: true\n');
  assert.is(custom?.image, 'registry.example.com/acme/proxy:v0.9.1');
  assert.is(custom?.metricsPort, 9000);
  assert.equal(custom?.bindIps, ['127.0.0.1']);
  assert.is(custom?.debug, true);
});

test('a local registry (localhost:<port>, no credentials) keeps its port; a registry with a credential is not local', () => {
  const local = load(`service: app\nimage: acme/app\nbuilder:\n  arch: amd64\nregistry:\n  server: localhost:5555\nservers:\n  web: [1.1.1.1]\n`);
  assert.equal(local.registry.local, { port: 5555 });
  assert.is(local.registry.server, 'localhost:5555');
  const hub = load(withServers('  web: [1.1.1.1]\n'));
  assert.is(hub.registry.local, undefined);
  assert.not.ok('server' in hub.registry);
  for (const credentials of ['  username: user\n  password: [PASSWORD]\n', '  username: user\n', '  password: [PASSWORD]\n']) {
    const project = tempProject({ 'config/deploy.yml': `service: app\nimage: acme/app\nbuilder:\n  arch: amd64\nregistry:\n  server: registry.example.com:5000\n${credentials}servers:\n  web: [1.1.1.1]\n` });
    try {
      const config = loadConfig({ cwd: project.dir, env: {} });
      assert.is(config.registry.local, undefined, credentials);
    } catch (error) {
      // A registry with one credential only is refused; either way it is never taken for a local one.
      assert.ok(error instanceof ConfigError, String(error));
    } finally {
      project.cleanup();
    }
  }
});

test('x-sextant.fleet.max_failures: a count, or a percentage as a fraction', () => {
  const fleet = (value: string) => load(`${withServers('  web: [1.1.1.1]\n')}x-sextant:\n  fleet:\n    max_failures: ${value}\n`).sextant.fleet.maxFailures;
  assert.equal(fleet('2'), { count: 2 });
  assert.equal(fleet('"34%"'), { percent: 0.34 });
  assert.equal(load(withServers('  web: [1.1.1.1]\n')).sextant.fleet, { maxFailures: { count: 0 }, onFailure: 'keep' });
});

test('alias names: lowercase letters, digits, - and _ only, whole name', () => {
  assert.equal(load(`${withServers('  web: [1.1.1.1]\n')}aliases:\n  my-console_2: app exec -i bash\n`).aliases, { 'my-console_2': 'app exec -i bash' });
  for (const bad of ['Console', 'con sole', 'con.sole', 'console!']) {
    assert.match(refusal(`${withServers('  web: [1.1.1.1]\n')}aliases:\n  "${bad}": app exec -i bash\n`), `Invalid alias name: '${bad}'`, bad);
  }
});

test('builder: an arch is required (a blank list or blank entries count as none); local: false needs a remote', () => {
  for (const arch of ['[]', '[""]', '""']) {
    assert.match(refusal(`service: app\nimage: acme/app\nregistry:\n  username: u\n  password: [P]\nservers:\n  web: [1.1.1.1]\nbuilder:\n  arch: ${arch}\n`), 'builder', arch);
  }
  assert.match(refusal(`${withServers('  web: [1.1.1.1]\n')}`.replace('  arch: amd64\n', '  arch: amd64\n  local: false\n')), 'builder');
  assert.match(refusal(`${withServers('  web: [1.1.1.1]\n')}`.replace('  arch: amd64\n', '  arch: amd64\n  local: false\n  remote: "  "\n')), 'builder');
  const remote = load(`${withServers('  web: [1.1.1.1]\n')}`.replace('  arch: amd64\n', '  arch: amd64\n  local: false\n  remote: ssh://builder\n'));
  assert.is(remote.builder.remote, 'ssh://builder');
});

test.run();
