// `sextant check` on the testbed: all ✔ on healthy servers; then one server broken in each way the
// testbed allows (sshd stopped, SSH reset/dropped, link cut, dockerd hung), plus a docker socket the
// SSH user may not use, a held deploy lock and a wrong registry password: the matching ✖ line, exit
// 1, and nothing changed on any server (containers, images, networks, volumes, files under /root
// and /tmp, docker logins).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { faults, inServer, serverDockerEnv, type TestbedServer } from '../../testbed/index.ts';
import { repoRoot, testbedOrExit } from '../testbed/helpers.ts';

const tb = await testbedOrExit();
const [s1, s2, s3] = tb.servers as [TestbedServer, TestbedServer, TestbedServer];
const SERVICE = 'checkapp';
const HOST_CHECKS = ['ssh', 'docker', 'docker socket', 'disk', 'registry login', 'kamal-proxy', 'clock'];

const dir = mkdtempSync(join(tmpdir(), 'sextant-check-'));
mkdirSync(join(dir, 'config'));
mkdirSync(join(dir, '.kamal'));
const deployYml = (user = 'root') => `service: ${SERVICE}
image: sextant/${SERVICE}
servers:
  web:
    - ${s1.ip}
    - ${s2.ip}
  workers:
    hosts:
      - ${s3.ip}
    cmd: /app/serve.sh
proxy:
  host: ${SERVICE}.test
  app_port: 80
registry:
  server: ${tb.registry.host}
  username: ${tb.registry.username}
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
  driver: docker
  context: .
ssh:
  user: ${user}
  keys_only: true
  keys:
    - ${tb.sshKeyPath}
`;
writeFileSync(join(dir, 'config/deploy.yml'), deployYml());
writeFileSync(join(dir, 'config/as-sxcheck.yml'), deployYml('sxcheck'));
const secrets = (password: string) => writeFileSync(join(dir, '.kamal/secrets'), `KAMAL_REGISTRY_PASSWORD=${password}\n`);
secrets(tb.registry.password);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sextant(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/sextant.js'), ...args], {
      cwd: dir,
      env: { ...process.env, CI: 'true', DOCKER_HOST: tb.deployer.dockerHost, VERSION: 'check-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const re = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lines = (run: Run) => run.stdout.split('\n').filter((l) => /^[✔✖–] \[/.test(l));
function line(run: Run, host: string, check: string): string {
  const found = lines(run).find((l) => l.slice(2).startsWith(`[${host}] ${check}: `));
  assert.ok(found, `no ${check} line for ${host}:\n${run.stdout}${run.stderr}`);
  return found!;
}

function onServer(server: TestbedServer, script: string): string {
  const [cmd, ...args] = inServer(server);
  const result = spawnSync(cmd!, [...args, 'sh', '-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`on ${server.name}: ${script}\n${result.stderr}`);
  return result.stdout;
}

function docker(server: TestbedServer, args: string[]): string {
  const result = spawnSync('docker', args, { env: serverDockerEnv(server), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} on ${server.name}: ${result.stderr}`);
  return result.stdout.split('\n').sort().join('\n'); // listings come in no fixed order
}

// What check must leave as it found it, on every server (read from the root namespace, not over SSH).
function snapshot(): string {
  return tb.servers
    .map((server) =>
      [
        `== ${server.name}`,
        docker(server, ['ps', '--all', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Image}}']),
        docker(server, ['images', '--all', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
        docker(server, ['network', 'ls', '--quiet', '--no-trunc']),
        docker(server, ['volume', 'ls', '--quiet']),
        // Entries only: /tmp's own mtime moves when the registry login's throwaway directory comes and goes.
        onServer(server, "find /root /tmp -xdev -mindepth 1 -printf '%p %s %m %T@\\n' | sort"),
        // The docker logins, as a digest: the file holds the registry password.
        onServer(server, 'sha256sum /root/.docker/config.json 2>/dev/null || echo "(no docker config)"'),
      ].join('\n'),
    )
    .join('\n');
}

async function checkChangesNothing(args: string[] = []): Promise<Run> {
  const before = snapshot();
  const run = await sextant(['check', ...args]);
  assert.fixture(snapshot(), before);
  return run;
}

function assertOnlyFailure(run: Run, expected: RegExp[]) {
  assert.is(run.code, 1, `exit 1\n${run.stdout}${run.stderr}`);
  const failed = lines(run).filter((l) => l.startsWith('✖'));
  assert.is(failed.length, expected.length, `exactly the expected ✖ lines:\n${failed.join('\n')}`);
  expected.forEach((pattern, i) => assert.match(failed[i]!, pattern));
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('healthy testbed: every check ✔ on every host (the lock on the primary), exit 0, nothing changed', async () => {
  const run = await checkChangesNothing();
  assert.is(run.code, 0, run.stdout + run.stderr);
  assert.equal(lines(run).filter((l) => !l.startsWith('✔')), [], 'no ✖ or skipped line');
  for (const check of ['docker', 'buildx', 'builder', 'secrets', 'hooks']) line(run, 'local', check);
  for (const server of tb.servers) for (const check of HOST_CHECKS) line(run, server.ip, check);
  assert.match(line(run, s1.ip, 'deploy lock'), `✔ [${s1.ip}] deploy lock: free (.kamal/lock-${SERVICE})`);
  assert.not.match(run.stdout, `[${s2.ip}] deploy lock`, 'the lock is only on the primary host');
  assert.match(line(run, s2.ip, 'registry login'), `logged in to ${tb.registry.host}`);
  assert.match(line(run, s3.ip, 'kamal-proxy'), 'not needed here');
  assert.match(run.stdout, /^✔ all \d+ checks passed/m);
  assert.not.match(run.stdout + run.stderr, tb.registry.password);
});

test('--format json: one document, ok, a ✔ for every host and check', async () => {
  const run = await sextant(['check', '--format', 'json']);
  assert.is(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ host: string; check: string; status: string }> };
  assert.is(doc.ok, true);
  for (const server of tb.servers) {
    assert.equal(doc.checks.filter((c) => c.host === server.ip && c.check !== 'deploy lock').map((c) => `${c.check}=${c.status}`), HOST_CHECKS.map((c) => `${c}=ok`));
  }
});

test('sshd stopped on srv2: ✖ connection refused there, its other checks not run, the rest ✔, exit 1', async () => {
  await faults.stopSshd(s2);
  try {
    const run = await checkChangesNothing();
    assertOnlyFailure(run, [new RegExp(`^✖ \\[${re(s2.ip)}\\] ssh: connection refused on port 22 — try: start sshd on ${re(s2.ip)}`)]);
    assert.match(line(run, s2.ip, 'docker socket'), /^– .*not checked: no SSH connection/);
    for (const check of HOST_CHECKS) assert.ok(line(run, s1.ip, check).startsWith('✔'), `${s1.ip} ${check} ✔`);
  } finally {
    await faults.startSshd(s2);
  }
});

test('SSH reset on srv2 (connects refused by a TCP reset): ✖ ssh, exit 1', async () => {
  await faults.resetSsh(s2);
  try {
    const run = await checkChangesNothing();
    assertOnlyFailure(run, [new RegExp(`^✖ \\[${re(s2.ip)}\\] ssh: connection refused on port 22`)]);
  } finally {
    await faults.clearSshFilters(s2);
  }
});

test('SSH dropped on srv3, link of srv1 cut: ✖ no answer on port 22 for each, exit 1', async () => {
  await faults.dropSsh(s3);
  await faults.cutLink(s1);
  try {
    const run = await checkChangesNothing(['--hosts', `${s1.ip},${s3.ip}`]);
    const ip = (s: TestbedServer) => re(s.ip);
    assertOnlyFailure(run, [new RegExp(`^✖ \\[${ip(s1)}\\] ssh: no answer on port 22 .* — try: check that ${ip(s1)} is up`), new RegExp(`^✖ \\[${ip(s3)}\\] ssh: no answer on port 22`)]);
  } finally {
    await faults.restoreLink(s1);
    await faults.clearSshFilters(s3);
  }
});

test('dockerd hung on srv3: ✖ docker socket (no answer within 15 s), the checks needing it not run, exit 1', async () => {
  const before = snapshot();
  await faults.freezeDocker(s3);
  let run: Run;
  try {
    run = await sextant(['check']);
  } finally {
    await faults.thawDocker(s3);
  }
  assert.fixture(snapshot(), before);
  assertOnlyFailure(run, [new RegExp(`^✖ \\[${re(s3.ip)}\\] docker socket: the Docker daemon did not answer within 15 s — try: restart Docker on ${re(s3.ip)}`)]);
  assert.match(line(run, s3.ip, 'registry login'), /^– .*the Docker daemon is not usable/);
  assert.ok(line(run, s3.ip, 'clock').startsWith('✔'), 'checks without docker still run');
});

test('a docker socket the SSH user may not use (srv2, user outside the docker group): ✖ with the usermod fix; in the group: ✔', async () => {
  // A user that exists only inside srv2's mount namespace: passwd and group files bind-mounted over
  // /etc there (the server's mounts are private), home and key in the server's own /tmp.
  const home = '/tmp/sextant-check-user';
  const id = 4242;
  onServer(
    s2,
    [
      'set -e',
      `mkdir -p ${home}/.ssh`,
      `cp ${tb.sshKeyPath}.pub ${home}/.ssh/authorized_keys`,
      `chown -R ${id}:${id} ${home} && chmod 755 ${home} && chmod 700 ${home}/.ssh && chmod 600 ${home}/.ssh/authorized_keys`,
      `{ cat /etc/passwd; echo 'sxcheck:x:${id}:${id}::${home}:/bin/sh'; } > ${home}.passwd`,
      `{ cat /etc/group; echo 'sxcheck:x:${id}:'; } > ${home}.group`,
      `awk -F: -v OFS=: '$1 == "docker" { $4 = ($4 == "" ? "sxcheck" : $4 ",sxcheck") } { print }' ${home}.group > ${home}.group-docker`,
      `mount --bind ${home}.passwd /etc/passwd`,
      `mount --bind ${home}.group /etc/group`,
    ].join('\n'),
  );
  try {
    const denied = await checkChangesNothing(['-c', 'config/as-sxcheck.yml', '--hosts', s2.ip]);
    assertOnlyFailure(denied, [new RegExp(`^✖ \\[${re(s2.ip)}\\] docker socket: permission denied on the Docker socket for sxcheck — try: add sxcheck to the docker group on ${re(s2.ip)} \\(\`usermod -aG docker sxcheck\``)]);
    assert.ok(line(denied, s2.ip, 'ssh').startsWith('✔'), 'sxcheck logs in');

    onServer(s2, `umount /etc/group && mount --bind ${home}.group-docker /etc/group`);
    const allowed = await sextant(['check', '-c', 'config/as-sxcheck.yml', '--hosts', s2.ip]);
    assert.is(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.match(line(allowed, s2.ip, 'docker socket'), `✔ [${s2.ip}] docker socket: sxcheck can use the Docker daemon`);
  } finally {
    onServer(s2, `umount /etc/passwd; umount /etc/group; rm -rf ${home} ${home}.passwd ${home}.group ${home}.group-docker`);
  }
});

test('the deploy lock held: ✖ on the primary host with who holds it and why, exit 1', async () => {
  const acquired = await sextant(['lock', 'acquire', '-m', 'checking the check']);
  assert.is(acquired.code, 0, acquired.stdout + acquired.stderr);
  try {
    const run = await checkChangesNothing();
    assertOnlyFailure(run, [new RegExp(`^✖ \\[${re(s1.ip)}\\] deploy lock: held: Locked by: .* at .*; Version: .*; Message: checking the check — try: wait for that deploy to finish; if nobody is deploying, \`sextant lock release\`$`)]);
  } finally {
    const released = await sextant(['lock', 'release']);
    assert.is(released.code, 0, released.stdout + released.stderr);
  }
});

test('a wrong registry password: ✖ registry login from every host, no login left behind, exit 1', async () => {
  secrets('not-the-password');
  try {
    const run = await checkChangesNothing();
    assertOnlyFailure(
      run,
      tb.servers.map((s) => new RegExp(`^✖ \\[${re(s.ip)}\\] registry login: ${re(tb.registry.host)} refused the credentials: .* — try: check registry/username and the registry password`)),
    );
    assert.not.match(run.stdout + run.stderr, 'not-the-password');
  } finally {
    secrets(tb.registry.password);
  }
});

test.run();
