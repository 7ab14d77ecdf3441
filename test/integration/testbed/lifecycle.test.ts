// `down` leaves nothing behind; `up` gives servers, registry, kamal-proxy and buildx; `up` again is
// idempotent, undoes faults, grows and shrinks the server set, and can start the servers afresh.
// Ends with the testbed up (3 servers), as the test files after it expect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { ensureTestbed, faults, serverDockerEnv, teardown, testbedStatus } from '../../testbed/index.ts';
import type { TestbedInfo } from '../../testbed/index.ts';
import { local, onServer, testbedOrExit } from './helpers.ts';

const STATE_DIR = '/var/lib/sextant-testbed';

let tb: TestbedInfo = await testbedOrExit({ servers: 3 });

interface NsIds {
  net: number[];
  mnt: number[];
}

/** Inode numbers of the namespaces of the testbed's nodes (read from their bind-mounted files). */
function testbedNamespaceIds(): NsIds {
  const ids: NsIds = { net: [], mnt: [] };
  const dir = `${STATE_DIR}/ns`;
  if (!existsSync(dir)) return ids;
  for (const f of readdirSync(dir)) {
    const ino = statSync(`${dir}/${f}`).ino;
    if (f.endsWith('.net')) ids.net.push(ino);
    if (f.endsWith('.mnt')) ids.mnt.push(ino);
  }
  return ids;
}

/** Everything on the machine that still belongs to the testbed. */
async function leftovers(ns: NsIds): Promise<string[]> {
  const found: string[] = [];
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const line of mountinfo) {
    const mountPoint = line.split(' ')[4] ?? '';
    if (mountPoint.startsWith(STATE_DIR)) found.push(`mount ${mountPoint}`);
  }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const net = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1];
      const mnt = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/mnt`))?.[1];
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (ns.net.includes(Number(net)) || ns.mnt.includes(Number(mnt))) found.push(`process ${pid} (${comm}) in a testbed namespace`);
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes('/sextant-testbed')) found.push(`process ${pid} (${comm}) in a testbed cgroup`);
    } catch {
      // exited (or a zombie, which holds no namespace)
    }
  }
  const links = JSON.parse(await local(['ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>;
  for (const l of links) if (l.ifname.startsWith('sxtb')) found.push(`link ${l.ifname}`);
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    for (const rule of (await local(['iptables', '-w', '-t', table, '-S'])).split('\n')) {
      if (rule.includes('sextant') || rule.includes('sxtb')) found.push(`iptables -t ${table}: ${rule}`);
    }
  }
  for (const h of readdirSync('/sys/fs/cgroup')) {
    if (existsSync(`/sys/fs/cgroup/${h}/sextant-testbed`)) found.push(`cgroup /sys/fs/cgroup/${h}/sextant-testbed`);
  }
  try {
    if (lstatSync('/run/docker.sock').isSymbolicLink() && readlinkSync('/run/docker.sock').startsWith(STATE_DIR)) found.push('/run/docker.sock link');
  } catch {
    // absent
  }
  return found;
}

/**
 * What a no-op `up` must leave as it is: the pid of every daemon (each server's dockerd and sshd,
 * the deployer's dockerd, the registry) and each server's containers with their start times.
 */
async function whatRuns(): Promise<Record<string, string>> {
  const pid = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '(no pid file)');
  const out: Record<string, string> = {
    'deployer dockerd': pid(`${STATE_DIR}/nodes/deployer/run/docker.pid`),
    registry: pid(`${STATE_DIR}/registry/registry.pid`),
  };
  for (const s of tb.servers) {
    out[`${s.name} dockerd`] = pid(`${STATE_DIR}/nodes/${s.name}/run/docker.pid`);
    out[`${s.name} sshd`] = pid(`${STATE_DIR}/nodes/${s.name}/run/sshd.pid`);
    const env = serverDockerEnv(s);
    const ids = (await local(['docker', 'ps', '-aq', '--no-trunc'], { env })).split('\n').filter(Boolean);
    out[`${s.name} containers`] = ids.length
      ? (await local(['docker', 'inspect', '--format', '{{.Id}} {{.Name}} {{.State.Status}} {{.State.StartedAt}}', ...ids], { env })).trim().split('\n').sort().join('; ')
      : '(none)';
  }
  return out;
}

function registryHas(path: string): Promise<number> {
  const [host, port] = tb.registry.host.split(':');
  const auth = Buffer.from(`${tb.registry.username}:${tb.registry.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), path, method: 'HEAD', ca: readFileSync(tb.registry.caPath), headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('down leaves no namespace, mount, process, veth, cgroup or iptables rule behind', async () => {
  const ns = testbedNamespaceIds();
  assert.ok(ns.net.length >= 4, 'the testbed was up before (deployer + 3 servers)');
  await teardown();
  // PID 1 may take a moment to reap the killed processes; zombies hold no namespace anyway.
  let found = await leftovers(ns);
  for (let i = 0; i < 20 && found.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    found = await leftovers(ns);
  }
  assert.equal(found, []);
  const status = await testbedStatus();
  assert.not.ok(status.up);
  assert.not.ok(status.bridge);
});

test('down twice is harmless', async () => {
  await teardown();
  assert.equal(await leftovers({ net: [], mnt: [] }), []);
});

test('up gives three servers, the registry (with the custom proxy image), kamal-proxy in every server and buildx', async () => {
  const start = performance.now();
  tb = await ensureTestbed({ servers: 3 });
  console.log(`    up from down (image cache warm): ${Math.round(performance.now() - start)} ms`);
  const status = await testbedStatus();
  assert.ok(status.up);
  assert.is(status.registry, 'running');
  assert.is(status.servers.length, 3);
  for (const s of status.servers) {
    assert.is(s.dockerd, 'running');
    assert.is(s.sshd, 'running');
    assert.is(s.link, 'up');
  }
  for (const s of tb.servers) {
    const id = await local(['docker', 'image', 'inspect', '--format', '{{.Id}}', tb.proxyImage], { env: serverDockerEnv(s) });
    assert.match(id, /^sha256:/);
  }
  const [repo, tag] = tb.customProxyImage.slice(tb.registry.host.length + 1).split(':');
  assert.is(await registryHas(`/v2/${repo}/manifests/${tag}`), 200);
  assert.is(await registryHas('/v2/sextant/does-not-exist/manifests/v1'), 404);
  assert.match(await local(['docker', 'buildx', 'version']), /buildx/);
  assert.match(await local(['docker', 'buildx', 'inspect'], { env: { ...process.env, DOCKER_HOST: tb.deployer.dockerHost } }), /Driver:\s+docker/);
});

test('up again is idempotent: same daemons, same containers, nothing started or re-created', async () => {
  const before = await whatRuns();
  await ensureTestbed({ servers: 3 });
  assert.equal(await whatRuns(), before);
});

test('up undoes faults left behind by a test that died', async () => {
  const [a, b, c] = tb.servers;
  if (!a || !b || !c) throw new Error('three servers expected');
  await faults.cutLink(a);
  await faults.dropSsh(b);
  await faults.stopSshd(c);
  await faults.freezeDocker(b);
  await faults.addSshLatency(c, 50);
  await faults.failHealthcheck(a);
  const broken = await testbedStatus();
  assert.is(broken.servers.find((s) => s.name === a.name)?.link, 'down');
  assert.is(broken.servers.find((s) => s.name === b.name)?.dockerd, 'frozen');
  await ensureTestbed({ servers: 3 });
  const status = await testbedStatus();
  for (const s of status.servers) {
    assert.equal(
      { link: s.link, dockerd: s.dockerd, sshd: s.sshd, faultRules: s.faultRules, delayProxy: s.delayProxy, unhealthyApp: s.unhealthyApp },
      { link: 'up', dockerd: 'running', sshd: 'running', faultRules: 0, delayProxy: false, unhealthyApp: false },
      s.name,
    );
  }
  for (const s of tb.servers) assert.is((await onServer(tb, s, 'hostname')).stdout.trim(), s.name);
});

test('up --servers 4 adds a server, up --servers 3 removes it cleanly', async () => {
  const four = await ensureTestbed({ servers: 4 });
  assert.is(four.servers.length, 4);
  const srv4 = four.servers[3]!;
  assert.is(srv4.ip, '10.213.0.14');
  assert.is((await onServer(four, srv4, 'hostname')).stdout.trim(), 'srv4');
  const srv4Net = statSync(`${STATE_DIR}/ns/srv4.net`).ino;
  tb = await ensureTestbed({ servers: 3 });
  assert.is(tb.servers.length, 3);
  assert.is((await testbedStatus()).servers.length, 3);
  assert.not.ok(existsSync(`${STATE_DIR}/nodes/srv4`));
  assert.not.match(await local(['ip', '-o', 'link', 'show']), /sxtb-srv4/);
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), /srv4/);
  for (const h of readdirSync('/sys/fs/cgroup')) assert.not.ok(existsSync(`/sys/fs/cgroup/${h}/sextant-testbed/srv4`), h);
  const inSrv4 = (await leftovers({ net: [srv4Net], mnt: [] })).filter((l) => l.includes('testbed namespace'));
  assert.equal(inSrv4, []);
});

test('up with fresh: true gives servers without containers', async () => {
  const s = tb.servers[0]!;
  const run = await onServer(tb, s, `docker run -d --name leftover --entrypoint sleep ${tb.proxyImage} 300`);
  assert.is(run.code, 0, run.stderr);
  tb = await ensureTestbed({ servers: 3, fresh: true });
  const ps = await onServer(tb, s, `docker ps -a --format '{{.Names}}'`);
  assert.is(ps.stdout.trim(), '');
  const images = await onServer(tb, s, `docker images --format '{{.Repository}}:{{.Tag}}'`);
  assert.is(images.stdout.trim(), tb.proxyImage);
});

test.run();
