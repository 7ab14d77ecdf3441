// A command that touches servers must refuse an invalid configuration before it connects to
// anything: no TCP connection to a server, no pre-connect hook, no local docker command. Each case
// points the config at a real listener on 127.0.0.1 (via `ssh.port`) and counts what reached it. A
// positive control (a valid config) proves the listener and the hook marker do see a connection.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { markedProject } from './marked-project.ts';

interface Listener {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

// Counts connections and drops each at once, so a client that does connect fails fast.
async function listen(): Promise<Listener> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const VALID = (port: number) => `service: app
image: dhh/app
servers:
  web:
    - 127.0.0.1
registry:
  username: dhh
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
ssh:
  port: ${port}
  keys_only: true
  keys: []
`;

// Two ways to be invalid: a key Kamal does not know (schema), and a secret that no secrets file defines.
const INVALID: Record<string, { config: (port: number) => string; expect: RegExp[] }> = {
  'an unknown key': {
    config: (port) => VALID(port).replace('  keys_only: true\n', '  keys_only: true\n  bogus_key: 1\n'),
    expect: [/config\/deploy\.yml/, /\bssh\b.*bogus_key|ssh\/bogus_key/],
  },
  'an undefined secret': {
    config: (port) => `${VALID(port)}env:\n  secret:\n    - NOT_IN_ANY_FILE\n`,
    expect: [/config\/deploy\.yml/, /env\/secret\/0/, /NOT_IN_ANY_FILE/],
  },
};

const COMMANDS: string[][] = [['deploy'], ['setup'], ['app', 'boot'], ['lock', 'acquire', '-m', 'x']];

const HOOKS = ['pre-connect', 'pre-build', 'pre-deploy', 'docker-setup', 'pre-app-boot'];

function project(config: string) {
  return markedProject({
    files: { 'config/deploy.yml': config, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=pw\n' },
    hooks: HOOKS,
    // Any local docker command leaves a mark too.
    docker: "#!/bin/sh\ntouch '$MARKS/docker'\nexit 1\n",
    version: 'v1',
  });
}

for (const [kind, { config, expect }] of Object.entries(INVALID)) {
  test(`with ${kind}, deploy/setup/app boot/lock acquire exit 1 naming file and key, and connect to nothing`, async () => {
    const listener = await listen();
    try {
      for (const argv of COMMANDS) {
        const p = project(config(listener.port));
        try {
          const io = captureIO(p.dir, p.env);
          const code = await runCli(argv, io);
          const what = `sextant ${argv.join(' ')} (${kind})`;
          assert.is(code, 1, `${what} exits 1\nstdout:\n${io.stdout}\nstderr:\n${io.stderr}`);
          for (const pattern of expect) assert.match(io.stderr, pattern, `${what}: stderr names ${pattern}\n${io.stderr}`);
          assert.not.match(io.stderr, 'ERROR (bug)', `${what}: a user error, not a bug`);
          assert.is(listener.connections(), 0, `${what}: no TCP connection reached the server`);
          for (const hook of HOOKS) assert.not.ok(p.marked(hook), `${what}: hook ${hook} did not run`);
          assert.not.ok(p.marked('docker'), `${what}: no local docker command ran`);
          assert.not.ok(existsSync(join(p.dir, '.kamal/runs')), `${what}: no run was recorded`);
        } finally {
          p.cleanup();
        }
      }
    } finally {
      await listener.close();
    }
  });
}

test('positive control: with a valid config, lock status does reach the listener after the pre-connect hook', async () => {
  const listener = await listen();
  const p = project(VALID(listener.port));
  try {
    const io = captureIO(p.dir, p.env);
    // The exit code does not matter (the listener is no SSH server); the connection does.
    await runCli(['lock', 'status'], io);
    assert.ok(listener.connections() >= 1, `the listener saw ${listener.connections()} connections\nstdout:\n${io.stdout}\nstderr:\n${io.stderr}`);
    assert.ok(p.marked('pre-connect'), 'the pre-connect hook ran before connecting');
  } finally {
    p.cleanup();
    await listener.close();
  }
});

test('positive control: the same invalid-key config with the key removed reaches the listener from lock acquire', async () => {
  const listener = await listen();
  const p = project(INVALID['an unknown key']!.config(listener.port).replace('  bogus_key: 1\n', ''));
  try {
    const io = captureIO(p.dir, p.env);
    await runCli(['lock', 'acquire', '-m', 'x'], io);
    assert.ok(listener.connections() >= 1, `the listener saw ${listener.connections()} connections\n${io.stdout}${io.stderr}`);
    assert.ok(p.marked('pre-connect'), 'the pre-connect hook ran');
  } finally {
    p.cleanup();
    await listener.close();
  }
});

test('with -d, an undefined secret in the destination file is reported against that file and connects to nothing', async () => {
  const listener = await listen();
  const p = project(VALID(listener.port));
  try {
    writeFileSync(join(p.dir, 'config/deploy.staging.yml'), 'env:\n  secret:\n    - STAGING_ONLY\n');
    writeFileSync(join(p.dir, '.kamal/secrets.staging'), 'KAMAL_REGISTRY_PASSWORD=pw\n');
    const io = captureIO(p.dir, p.env);
    assert.is(await runCli(['deploy', '-d', 'staging'], io), 1, io.stderr);
    assert.match(io.stderr, /^ERROR: config\/deploy\.staging\.yml: 1 error/m);
    assert.match(io.stderr, /env\/secret\/0: secret 'STAGING_ONLY' is not defined in \.kamal\/secrets\.staging/);
    assert.is(listener.connections(), 0);
    for (const hook of HOOKS) assert.not.ok(p.marked(hook), `hook ${hook} did not run`);
    assert.not.ok(p.marked('docker'), 'no local docker command ran');
  } finally {
    p.cleanup();
    await listener.close();
  }
});

test.run();
