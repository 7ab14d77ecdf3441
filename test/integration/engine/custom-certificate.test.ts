// Kamal 2.7's proxy keys on the testbed's kamal-proxy v0.9.0: a custom certificate from the secrets
// (`proxy/ssl: {certificate_pem, private_key_pem}`) on two servers at once, and `path_prefix` (in
// another app: kamal-proxy v0.9.0 takes TLS settings only on a host's root-path service).
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { makeProject, removeApp, sextant } from './project.ts';

const run = promisify(execFile);
const testbed = await ensureTestbed({ servers: 2 });
const servers = testbed.servers.slice(0, 2).map((s) => s.ip);
const project = makeProject(testbed, { service: 'icert', servers });
const prefixed = makeProject(testbed, { service: 'ipath', servers });
const host = `${project.service}.test`;
const certFile = join(project.dir, 'cert.pem');
const keyFile = join(project.dir, 'key.pem');

function https(server: string, path: string, extra: string[] = []) {
  return run('curl', ['-sS', '--max-time', '10', '--cacert', certFile, '--resolve', `${host}:443:${server}`, ...extra, `https://${host}${path}`]).then(
    (r) => ({ ok: true, body: r.stdout }),
    (e: { stdout?: string; stderr?: string }) => ({ ok: false, body: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
}

test.before(async () => {
  await removeApp(project, servers, serverShell);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=DNS:${host}`, '-keyout', keyFile, '-out', certFile]);
  const yml = join(project.dir, 'config/deploy.yml');
  const config = readFileSync(yml, 'utf8');
  assert.match(config, `proxy:\n  host: ${host}\n`);
  writeFileSync(yml, config.replace(`proxy:\n  host: ${host}\n`, `proxy:\n  host: ${host}\n  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n`));
  appendFileSync(join(project.dir, '.kamal/secrets'), `CERT_PEM=$(cat ${certFile})\nKEY_PEM=$(cat ${keyFile})\n`);
  const prefixedYml = join(prefixed.dir, 'config/deploy.yml');
  const prefixedConfig = readFileSync(prefixedYml, 'utf8');
  assert.match(prefixedConfig, 'proxy:\n  host: ipath.test\n');
  writeFileSync(prefixedYml, prefixedConfig.replace('proxy:\n  host: ipath.test\n', 'proxy:\n  host: ipath.test\n  path_prefix: /api\n'));
  await removeApp(prefixed, servers, serverShell);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  await removeApp(prefixed, servers, serverShell);
  for (const server of servers) await serverShell(server, `rm -rf /root/.kamal/proxy/apps-config/${project.service}`).catch(() => '');
  project.cleanup();
  prefixed.cleanup();
});

test('both servers serve the custom certificate', async () => {
  const result = await sextant(project, ['deploy', '--version', 'c1']);
  assert.is(result.code, 0, `deploy failed:\n${result.stdout}\n${result.stderr}`);
  assert.not.match(result.stdout + result.stderr, 'PRIVATE KEY', 'the key never shows');
  const key = readFileSync(keyFile, 'utf8');
  for (const server of servers) {
    // curl trusts only our certificate: the answer proves kamal-proxy serves it.
    const answer = await https(server, '/');
    assert.ok(answer.ok, `${server}: ${answer.body}`);
    assert.is(answer.body.trim(), 'c1', `${server} serves the app over HTTPS`);
    const written = await serverShell(server, `cat /root/.kamal/proxy/apps-config/${project.service}/tls/web/key.pem`);
    assert.is(written.trim(), key.trim(), `${server} has the key where kamal-proxy reads it`);
  }
});

test('path_prefix: the app answers below /api (the prefix stripped), not at /', async () => {
  const result = await sextant(prefixed, ['deploy', '--version', 'p1']);
  assert.is(result.code, 0, `deploy failed:\n${result.stdout}\n${result.stderr}`);
  const http = (server: string, path: string) =>
    run('curl', ['-sS', '--max-time', '10', '-H', 'Host: ipath.test', '-w', ' %{http_code}', `http://${server}${path}`]).then((r) => r.stdout.replace(/\s+/g, ' ').trim());
  for (const server of servers) {
    assert.is(await http(server, '/api/'), 'p1 200', `${server} strips /api and reaches the app`);
    const root = await http(server, '/');
    assert.ok(root.endsWith(' 404') && !root.startsWith('not found'), `${server}: / is not the app's: ${root}`);
  }
});

test.run();
