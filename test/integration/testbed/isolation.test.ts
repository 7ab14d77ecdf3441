// Test traffic stays on this machine: servers have no route out, the root namespace forwards
// nothing from the testbed bridge, and an outside address (TEST-NET-1, 192.0.2.1) is unreachable
// from a server and from a container on it. No packet is sent anywhere but loopback and the testbed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onServer, local, testbedOrExit } from './helpers.ts';
import { inServer } from '../../testbed/index.ts';

const tb = await testbedOrExit({ servers: 3 });
const OUTSIDE = '192.0.2.1';

test('servers have no default route, only their subnet (and docker bridges inside them)', async () => {
  for (const server of tb.servers) {
    const routes = await local([...inServer(server), 'ip', '-4', 'route', 'show']);
    assert.not.match(routes, /default/, `${server.name} has a default route:\n${routes}`);
    assert.match(routes, new RegExp(`^10\\.213\\.0\\.0/24 dev eth0`, 'm'));
    for (const line of routes.trim().split('\n')) {
      assert.ok(/^10\.213\.0\.0\/24 dev eth0|dev (docker0|br-[0-9a-f]+) /.test(line), `unexpected route on ${server.name}: ${line}`);
    }
  }
});

test('the kernel of a server has no route to an outside address', async () => {
  for (const server of tb.servers) {
    const r = await onServer(tb, server, `ip route get ${OUTSIDE}`);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /Network is unreachable/);
  }
});

test('a TCP connection from a server to an outside address fails at once', async () => {
  const server = tb.servers[0]!;
  // Checked first, so that the attempt below can never leave the machine.
  assert.is.not((await onServer(tb, server, `ip route get ${OUTSIDE}`)).code, 0);
  const r = await onServer(tb, server, `timeout 5 bash -c 'exec 3<>/dev/tcp/${OUTSIDE}/80' 2>&1; echo "exit=$?"`);
  assert.match(r.stdout, /Network is unreachable/);
  assert.match(r.stdout, /exit=1/);
});

test('a container on a server cannot reach an outside address either', async () => {
  const server = tb.servers[1]!;
  assert.is.not((await onServer(tb, server, `ip route get ${OUTSIDE}`)).code, 0);
  const r = await onServer(tb, server, `docker run --rm --entrypoint nc ${tb.proxyImage} -w 3 ${OUTSIDE} 80 < /dev/null 2>&1; echo "exit=$?"`);
  assert.not.match(r.stdout, /exit=0/, r.stdout);
  assert.match(r.stdout, /Network is unreachable/, r.stdout);
});

test('the root namespace drops anything the testbed bridge would forward elsewhere', async () => {
  const rules = await local(['iptables', '-w', '-S', 'FORWARD']);
  assert.match(rules, /-A FORWARD -i sxtb0 ! -o sxtb0 -m comment --comment sextant-testbed -j DROP/);
});

test('servers reach the registry on the bridge address', async () => {
  const r = await onServer(tb, tb.servers[2]!, `curl -s -o /dev/null -w '%{http_code}' --cacert /etc/docker/certs.d/${tb.registry.host}/ca.crt https://${tb.registry.host}/v2/ || wget -q -O /dev/null https://${tb.registry.host}/v2/ 2>&1`);
  assert.match(r.stdout, /401|Unauthorized/);
});

test.run();
