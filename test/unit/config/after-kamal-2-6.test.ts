// Keys Kamal added after 2.6.0 (2.7 – 2.12): accepted, resolved as the Kamal version that brought
// them does, and refused with the file, key path and expectation when malformed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/index.ts';
import { deployJsonSchema } from '../../../src/config/json-schema.ts';
import { tempProject } from './temp-project.ts';

const BASE = `service: app
image: acme/app
builder:
  arch: amd64
`;
const REGISTRY = `registry:
  username: user
  password: [PASSWORD]
`;

function load(yaml: string, destination?: string, extra: Record<string, string> = {}): Config {
  const project = tempProject({ 'config/deploy.yml': yaml, ...extra });
  try {
    return loadConfig({ cwd: project.dir, destination, env: {} });
  } finally {
    project.cleanup();
  }
}

function issues(yaml: string): Array<{ file: string; path: string; message: string }> {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(({ file, path, message }) => ({ file, path, message }));
    throw error;
  }
  assert.unreachable(`accepted:\n${yaml}`);
  return [];
}

function assertIssue(yaml: string, path: string, message: string | RegExp) {
  const found = issues(yaml);
  const match = found.find((issue) => issue.path === path && (typeof message === 'string' ? issue.message === message : message.test(issue.message)));
  assert.ok(match, `no ${path}: ${String(message)} among ${JSON.stringify(found)}`);
  assert.is(match!.file, 'config/deploy.yml');
}

const role = (config: Config, name: string) => config.roles.find((r) => r.name === name)!;

// --- proxy/ssl with a custom certificate (2.7) --------------------------------------------------

test('proxy/ssl hash: secret names, files under the role, ssl on, several hosts allowed', () => {
  const config = load(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1, 1.1.1.2]
proxy:
  host: app.example.com
  ssl:
    certificate_pem: CERT_PEM
    private_key_pem: KEY_PEM
`, 'prod', { 'config/deploy.prod.yml': 'labels:\n  tier: prod\n' });
  const proxy = role(config, 'web').proxy!;
  assert.is(proxy.ssl, true);
  assert.equal(proxy.customCertificate, {
    certificateSecret: 'CERT_PEM',
    privateKeySecret: 'KEY_PEM',
    hostCertificate: '.kamal/proxy/apps-config/app-prod/tls/web/cert.pem',
    hostPrivateKey: '.kamal/proxy/apps-config/app-prod/tls/web/key.pem',
    containerCertificate: '/home/kamal-proxy/.apps-config/app-prod/tls/web/cert.pem',
    containerPrivateKey: '/home/kamal-proxy/.apps-config/app-prod/tls/web/key.pem',
  });
});

test('proxy/ssl: true keeps the one-server rule; a hash with one half names the missing key', () => {
  assertIssue(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1, 1.1.1.2]
proxy:
  host: app.example.com
  ssl: true
`, 'proxy/ssl', /SSL is only supported on a single server/);
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  host: app.example.com
  ssl:
    certificate_pem: CERT_PEM
`, 'proxy/ssl', 'Missing private_key_pem setting (required when certificate_pem is present)');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  host: app.example.com
  ssl:
    private_key_pem: KEY_PEM
`, 'proxy/ssl', 'Missing certificate_pem setting (required when private_key_pem is present)');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  ssl:
    certificate_pem: CERT_PEM
    private_key_pem: KEY_PEM
`, 'proxy', 'Must set a host to enable automatic SSL');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  host: a.example.com
  ssl:
    certificate: CERT_PEM
`, 'proxy/ssl', /certificate/);
});

test('proxy/ssl hash on an accessory is refused (its certificate would never be written)', () => {
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
accessories:
  admin:
    image: acme/admin
    host: 1.1.1.1
    proxy:
      host: admin.example.com
      ssl:
        certificate_pem: CERT_PEM
        private_key_pem: KEY_PEM
`, 'accessories/admin/proxy/ssl', /only supported for roles/);
});

test('the certificate secrets are secret references of the config', async () => {
  const { listSecretReferences } = await import('../../../src/config/helpers.ts');
  const config = load(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  host: a.example.com
  ssl:
    certificate_pem: CERT_PEM
    private_key_pem: KEY_PEM
`);
  const names = listSecretReferences(config).map((ref) => `${ref.secret} ${ref.keyPath}`);
  assert.ok(names.includes('CERT_PEM proxy/ssl/certificate_pem'), names.join(', '));
  assert.ok(names.includes('KEY_PEM proxy/ssl/private_key_pem'), names.join(', '));
});

// --- path prefixes (2.7) -------------------------------------------------------------------------

test('proxy/path_prefix splits on commas; path_prefixes wins; strip_path_prefix is kept', () => {
  const split = load(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  path_prefix: /api,/oauth_callback
  strip_path_prefix: false
`);
  assert.equal(role(split, 'web').proxy!.pathPrefixes, ['/api', '/oauth_callback']);
  assert.is(role(split, 'web').proxy!.stripPathPrefix, false);
  const list = load(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  path_prefix: /ignored
  path_prefixes: [/a, /b]
`);
  assert.equal(role(list, 'web').proxy!.pathPrefixes, ['/a', '/b']);
  assert.equal(role(list, 'web').proxy!.stripPathPrefix, undefined);
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  strip_path_prefix: sometimes
`, 'proxy/strip_path_prefix', /boolean/);
});

// --- stop_timeout (2.12), forward_agent (2.12), secrets_path (2.7), parallel_roles (2.10) ---------

test('stop_timeout: role beats root beats drain_timeout; proxied roles get one only when written', () => {
  const plain = load(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1]
  jobs: [1.1.1.2]
drain_timeout: 12
`);
  assert.is(role(plain, 'web').stopTimeout, undefined);
  assert.is(role(plain, 'jobs').stopTimeout, 12);
  const set = load(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1]
  jobs:
    hosts: [1.1.1.2]
    stop_timeout: 90
drain_timeout: 12
stop_timeout: 40
`);
  assert.is(role(set, 'web').stopTimeout, 40);
  assert.is(role(set, 'jobs').stopTimeout, 90);
  assert.is(set.sextant.deadlines.stop, 105, 'a stop may take the longest stop_timeout');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
stop_timeout: soon
`, 'stop_timeout', /integer|number/);
});

test('ssh/forward_agent, secrets_path, boot/parallel_roles', () => {
  const config = load(`${BASE}${REGISTRY}servers: [1.1.1.1]
ssh:
  forward_agent: true
secrets_path: config/vault/secrets
boot:
  parallel_roles: true
`);
  assert.is(config.ssh.forwardAgent, true);
  assert.is(config.secretsPath, 'config/vault/secrets');
  assert.is(config.boot.parallelRoles, true);
  const defaults = load(`${BASE}${REGISTRY}servers: [1.1.1.1]\n`);
  assert.is(defaults.ssh.forwardAgent, undefined);
  assert.is(defaults.secretsPath, '.kamal/secrets');
  assert.is(defaults.boot.parallelRoles, false);
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
boot:
  parallel_roles: yes please
`, 'boot/parallel_roles', /boolean/);
});

test('ssh/forward_agent reaches the SSH settings; ssh2 forwards the agent only when on and an agent is there', async () => {
  const { sshSettings } = await import('../../../src/engine/session.ts');
  const { agentForwarding } = await import('../../../src/remote/ssh.ts');
  const on = sshSettings(load(`${BASE}${REGISTRY}servers: [1.1.1.1]\nssh:\n  forward_agent: true\n`));
  assert.is(on.forwardAgent, true);
  assert.equal(agentForwarding(on, '/tmp/agent.sock'), { agent: '/tmp/agent.sock', agentForward: true });
  assert.equal(agentForwarding(on, undefined), {});
  const off = sshSettings(load(`${BASE}${REGISTRY}servers: [1.1.1.1]\n`));
  assert.equal(agentForwarding(off, '/tmp/agent.sock'), {});
});

// --- proxy/run (2.10) ---------------------------------------------------------------------------

test('proxy/run: defaults, image from registry/repository/version, options', () => {
  const config = load(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  run:
    http_port: 8080
    metrics_port: 9090
    debug: true
    bind_ips: [127.0.0.1, "::1"]
    registry: registry:4443
    version: v0.9.1
    options:
      memory: 512m
`);
  assert.equal(role(config, 'web').proxy!.run, {
    httpPort: 8080,
    httpsPort: 443,
    metricsPort: 9090,
    debug: true,
    logMaxSize: '10m',
    publish: true,
    bindIps: ['127.0.0.1', '::1'],
    image: 'registry:4443/basecamp/kamal-proxy:v0.9.1',
    options: [['memory', '512m']],
  });
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  run:
    publish: false
    http_port: 8080
`, 'proxy/run', 'Cannot set http_port, https_port or bind_ips when publish is false');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
proxy:
  run:
    bind_ips: [not-an-ip]
`, 'proxy/run/bind_ips/0', 'Invalid publish IP address: not-an-ip');
});

test('proxy/run: roles sharing a host must agree on it (Kamal 2.10)', () => {
  assertIssue(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1]
  api:
    hosts: [1.1.1.1]
    proxy:
      host: api.example.com
      run:
        http_port: 8081
proxy:
  host: www.example.com
  run:
    http_port: 8080
`, 'proxy/run', 'Conflicting proxy run configurations for host 1.1.1.1');
  const same = load(`${BASE}${REGISTRY}servers:
  web: [1.1.1.1]
  api:
    hosts: [1.1.1.1]
    proxy:
      host: api.example.com
proxy:
  host: www.example.com
  run:
    http_port: 8080
`);
  assert.is(role(same, 'api').proxy!.run!.httpPort, 8080, 'a role proxy inherits the root run settings');
});

// --- local registry (2.8) ------------------------------------------------------------------------

test('registry localhost:<port> without a login is a local registry; with a login it stays an ordinary one', () => {
  const local = load(`${BASE}servers: [1.1.1.1]
registry:
  server: localhost:5555
`);
  assert.equal(local.registry, { server: 'localhost:5555', local: { port: 5555 } });
  assert.is(local.repository, 'localhost:5555/acme/app');
  const withLogin = load(`${BASE}servers: [1.1.1.1]
registry:
  server: localhost:5555
  username: me
  password: [PASSWORD]
`);
  assert.is(withLogin.registry.local, undefined);
  assertIssue(`${BASE}servers: [1.1.1.1]
registry:
  server: localhost:5555
  username: me
`, 'registry/password', 'is required');
  assertIssue(`${BASE}servers: [1.1.1.1]
registry:
  server: registry.example.com
`, 'registry/username', 'is required');
  assertIssue(`${BASE}servers: [1.1.1.1]
registry:
  server: localhost
`, 'registry/username', 'is required');
  assertIssue(`${BASE}${REGISTRY}servers: [1.1.1.1]
accessories:
  db:
    image: mysql:8
    host: 1.1.1.1
    registry:
      server: localhost:5000
`, 'accessories/db/registry', /only supported as the app's registry/);
});

// --- KAMAL_HOST / KAMAL_DESTINATION switch --------------------------------------------------------

test('x-sextant/host_env is off unless set', () => {
  assert.is(load(`${BASE}${REGISTRY}servers: [1.1.1.1]\n`).sextant.hostEnv, false);
  assert.is(load(`${BASE}${REGISTRY}servers: [1.1.1.1]\nx-sextant:\n  host_env: true\n`).sextant.hostEnv, true);
});

test('the JSON Schema documents the new keys', () => {
  const text = JSON.stringify(deployJsonSchema());
  for (const key of ['certificate_pem', 'private_key_pem', 'path_prefix', 'path_prefixes', 'strip_path_prefix', 'stop_timeout', 'forward_agent', 'secrets_path', 'parallel_roles', 'metrics_port', 'bind_ips', 'host_env']) {
    assert.ok(text.includes(`"${key}"`), `${key} missing from the JSON Schema`);
  }
});

test.run();
