// `deploy --dry-run` with the keys Kamal added after 2.6.0: the lines change where those Kamal
// versions change them (local registry setup instead of a login, certificates written before the
// boot, proxy/run's docker run, kamal-proxy deploy flags, KAMAL_HOST), and nowhere else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

const CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1, 1.1.1.2]
registry: { server: "localhost:5555" }
builder: { arch: amd64, driver: docker }
proxy:
  host: app.example.com
  path_prefix: /api
  ssl: { certificate_pem: CERT_PEM, private_key_pem: KEY_PEM }
  run: { http_port: 8080 }
stop_timeout: 20
x-sextant: { host_env: true }
`;
const SECRETS = 'CERT_PEM=CANARY-cert-5e1a\nKEY_PEM=CANARY-key-0b7d\n';

async function plan(config: string): Promise<string[]> {
  const p = tempProject({ 'config/deploy.yml': config, '.kamal/secrets': SECRETS, Dockerfile: 'FROM scratch\n' });
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    assert.is(await runCli(['deploy', '--dry-run'], io), 0, io.stderr);
    assert.not.match(io.stdout + io.stderr, 'CANARY', 'certificate contents never shown');
    return io.stdout.split('\n').filter((line) => line.startsWith('['));
  } finally {
    p.cleanup();
  }
}

function indexOf(lines: string[], pattern: string | RegExp): number {
  const i = lines.findIndex((line) => (typeof pattern === 'string' ? line === pattern : pattern.test(line)));
  assert.ok(i >= 0, `no ${String(pattern)} in:\n${lines.join('\n')}`);
  return i;
}

test('deploy --dry-run: local registry, certificates, proxy/run, path prefix, KAMAL_HOST', async () => {
  const lines = await plan(CONFIG);
  assert.not.ok(lines.some((line) => line.includes('docker login')), 'no login anywhere');
  const setup = indexOf(lines, '[local] docker start kamal-docker-registry || docker run --detach -p 127.0.0.1:5555:5000 --name kamal-docker-registry registry:3');
  assert.ok(setup < indexOf(lines, /^\[local\] docker buildx build .* -t localhost:5555\/dhh\/app:999 /));
  indexOf(lines, '[1.1.1.2] docker pull localhost:5555/dhh/app:999');
  indexOf(lines, /^\[1\.1\.1\.1\] docker container start kamal-proxy \|\| docker run --name kamal-proxy .* --publish 8080:80 --publish 443:443 --log-opt max-size=10m basecamp\/kamal-proxy:v0\.9\.0 kamal-proxy run$/);
  const mkdir = indexOf(lines, '[1.1.1.2] /usr/bin/env mkdir -p .kamal/proxy/apps-config/app/tls/web');
  const key = indexOf(lines, '[1.1.1.2] upload .kamal/proxy/apps-config/app/tls/web/key.pem (mode 0644, 1 line)');
  const run = indexOf(lines, /^\[1\.1\.1\.2\] docker run --detach .* --env KAMAL_HOST="1\.1\.1\.2" --env-file /);
  const deploy = indexOf(lines, /^\[1\.1\.1\.2\] docker exec kamal-proxy kamal-proxy deploy app-web .* --tls --tls-certificate-path="\/home\/kamal-proxy\/\.apps-config\/app\/tls\/web\/cert\.pem" --tls-private-key-path="\/home\/kamal-proxy\/\.apps-config\/app\/tls\/web\/key\.pem" .* --path-prefix="\/api" /);
  assert.ok(mkdir < key && key < run && run < deploy, 'certificates are written before the boot');
});

test('app exec --raw: only the output on stdout (no host header), not with --interactive or --detach', async () => {
  const p = tempProject({ 'config/deploy.yml': CONFIG, '.kamal/secrets': SECRETS, Dockerfile: 'FROM scratch\n' });
  try {
    const plain = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    assert.is(await runCli(['app', 'exec', 'echo hi', '--dry-run'], plain), 0, plain.stderr);
    assert.match(plain.stdout, 'App Host: 1.1.1.1');
    const raw = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    assert.is(await runCli(['app', 'exec', '--raw', 'echo hi', '--dry-run'], raw), 0, raw.stderr);
    assert.not.match(raw.stdout, 'App Host:');
    assert.not.match(raw.stdout + raw.stderr, 'docker login', 'a local registry has no login');
    for (const flag of ['--interactive', '--detach']) {
      const refused = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
      assert.is(await runCli(['app', 'exec', '--raw', flag, 'echo hi'], refused), 1);
      assert.match(refused.stderr, `Raw is not compatible with ${flag.slice(2)}`);
    }
  } finally {
    p.cleanup();
  }
});

test.run();
