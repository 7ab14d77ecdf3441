// The pure parts of the ssh2 pool: the gate that limits concurrent connection starts
// (sshkit.max_concurrent_starts), the bastion address parser and the choice of auth methods.
// Nothing here opens a socket.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authHandler, parseProxy, privateKeys, StartGate, type SshSettings } from '../../../src/remote/ssh.ts';

// ---- StartGate --------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

// Counts how many starts are inside the gate at once.
function meter() {
  const m = {
    active: 0,
    max: 0,
    started: [] as number[],
    start: (id: number, body: () => Promise<void>) => async () => {
      m.active++;
      m.max = Math.max(m.max, m.active);
      m.started.push(id);
      try {
        await body();
        return id;
      } finally {
        m.active--;
      }
    },
  };
  return m;
}

test('gate: never more than the limit at once, and every start completes with its own result', async () => {
  const gate = new StartGate(3);
  const m = meter();
  const results = await Promise.all(Array.from({ length: 20 }, (_, id) => gate.run(m.start(id, () => sleep(1 + (id % 4))))));
  assert.equal(results, Array.from({ length: 20 }, (_, id) => id));
  assert.is(m.max, 3, 'the limit is reached but never passed');
  assert.is(m.active, 0);
});

test('gate: with a limit of 1 starts run one after another, in the order they were asked for', async () => {
  const gate = new StartGate(1);
  const m = meter();
  await Promise.all([0, 1, 2, 3, 4].map((id) => gate.run(m.start(id, () => sleep(5 - id)))));
  assert.is(m.max, 1);
  assert.equal(m.started, [0, 1, 2, 3, 4]);
});

test('gate: a start that rejects gives its slot to the next one and its caller gets the error', async () => {
  const gate = new StartGate(1);
  const m = meter();
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:22'), { code: 'ECONNREFUSED' });
  const first = gate.run(
    m.start(0, async () => {
      await sleep(2);
      throw refused;
    }),
  );
  const second = gate.run(m.start(1, () => sleep(1)));
  const third = gate.run(m.start(2, () => sleep(1)));
  const outcome = await Promise.allSettled([first, second, third]);
  assert.is(outcome[0]?.status, 'rejected');
  assert.is((outcome[0] as PromiseRejectedResult).reason, refused);
  assert.equal(
    outcome.slice(1).map((o) => (o as PromiseFulfilledResult<number>).value),
    [1, 2],
  );
  assert.is(m.max, 1);
  assert.equal(m.started, [0, 1, 2]);
});

test('gate: a start that throws synchronously frees its slot too', async () => {
  const gate = new StartGate(1);
  const boom = new Error('Cannot parse privateKey');
  const failing = gate.run<number>(() => {
    throw boom;
  });
  const next = gate.run(async () => 'ran');
  const [failed, ran] = await Promise.allSettled([failing, next]);
  assert.is((failed as PromiseRejectedResult).reason, boom);
  assert.is((ran as PromiseFulfilledResult<string>).value, 'ran');
  // And the gate is still usable afterwards, with all its slots.
  const m = meter();
  await Promise.all([0, 1, 2].map((id) => gate.run(m.start(id, () => sleep(1)))));
  assert.is(m.max, 1);
});

test('gate: failures everywhere never leak a slot (limit 2, half of 40 starts reject)', async () => {
  const gate = new StartGate(2);
  const m = meter();
  const outcome = await Promise.allSettled(
    Array.from({ length: 40 }, (_, id) =>
      gate.run(
        m.start(id, async () => {
          await ticks(id % 3);
          if (id % 2 === 0) throw new Error(`start ${id} failed`);
        }),
      ),
    ),
  );
  assert.is(outcome.filter((o) => o.status === 'rejected').length, 20);
  assert.is(outcome.filter((o) => o.status === 'fulfilled').length, 20);
  assert.is(m.max, 2);
  // The gate still admits two at a time: nothing is stuck holding a slot.
  const again = meter();
  await Promise.all([0, 1, 2, 3].map((id) => gate.run(again.start(id, () => sleep(2)))));
  assert.is(again.max, 2);
});

// The smallest case of the hand-over race: a start finishes and wakes the one waiting, and a new
// start asked for a few microtasks later (before the woken one has resumed) must still wait.
// Tried with the newcomer arriving 0..8 microtasks after the first start finishes.
test('gate: a newcomer cannot slip in while a finished start hands its slot to the one waiting', async () => {
  for (let delay = 0; delay <= 8; delay++) {
    const gate = new StartGate(1);
    const m = meter();
    let finishFirst!: () => void;
    const first = gate.run(m.start(0, () => new Promise<void>((resolve) => (finishFirst = resolve))));
    const second = gate.run(m.start(1, () => sleep(1)));
    await ticks(3);
    finishFirst();
    const third = ticks(delay).then(() => gate.run(m.start(2, () => sleep(1))));
    await Promise.all([first, second, third]);
    assert.is(m.max, 1, `newcomer after ${delay} microtasks: ${m.max} starts ran at once with a limit of 1`);
    assert.equal(m.started, [0, 1, 2], `newcomer after ${delay} microtasks: the one that waited goes first`);
  }
});

// Starts that finish after a few microtasks (not timers), asked for at random moments, including
// from inside other starts: the hand-over from a finishing start to a waiting one must not let a
// newcomer slip in between.
test('gate: random microtask interleavings never pass the limit', async () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 50; round++) {
    const limit = 1 + Math.floor(random() * 4);
    const gate = new StartGate(limit);
    const m = meter();
    const all: Promise<unknown>[] = [];
    let next = 0;
    const launch = () => {
      const id = next++;
      const nested = random() < 0.2 && next < 60;
      all.push(
        gate.run(
          m.start(id, async () => {
            await ticks(Math.floor(random() * 4));
            if (nested) launch();
            if (random() < 0.2) throw new Error('refused');
          }),
        ).catch(() => undefined),
      );
    };
    for (let i = 0; i < 30; i++) {
      const delay = Math.floor(random() * 6);
      all.push(ticks(delay).then(launch));
    }
    // Wait until no more starts are being added.
    let settled = 0;
    while (settled < all.length) {
      settled = all.length;
      await Promise.all(all);
    }
    assert.ok(m.max <= limit, `round ${round}: ${m.max} starts at once with a limit of ${limit}`);
    assert.is(m.active, 0);
    assert.is(m.started.length, next, `round ${round}: every start ran`);
  }
});

// ---- parseProxy -------------------------------------------------------------------------------

test('parseProxy: host, user@host, user@host:port and host:port', () => {
  assert.equal(parseProxy('bastion.example.com'), { user: 'root', host: 'bastion.example.com', port: 22 });
  assert.equal(parseProxy('deploy@bastion.example.com'), { user: 'deploy', host: 'bastion.example.com', port: 22 });
  assert.equal(parseProxy('deploy@bastion.example.com:2222'), { user: 'deploy', host: 'bastion.example.com', port: 2222 });
  assert.equal(parseProxy('bastion.example.com:2222'), { user: 'root', host: 'bastion.example.com', port: 2222 });
  assert.equal(parseProxy('10.0.0.1'), { user: 'root', host: '10.0.0.1', port: 22 });
  assert.equal(parseProxy('app@10.0.0.1:22'), { user: 'app', host: '10.0.0.1', port: 22 });
});

test('parseProxy: IPv6 bastions, bracketed with a port or bare', () => {
  assert.equal(parseProxy('deploy@[2001:db8::1]:2222'), { user: 'deploy', host: '2001:db8::1', port: 2222 });
  assert.equal(parseProxy('[2001:db8::1]'), { user: 'root', host: '2001:db8::1', port: 22 });
  assert.equal(parseProxy('2001:db8::1'), { user: 'root', host: '2001:db8::1', port: 22 });
});

// ---- privateKeys / authHandler ----------------------------------------------------------------

const PEM_A = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-key-data-a\n-----END OPENSSH PRIVATE KEY-----\n';
const PEM_B = '-----BEGIN OPENSSH PRIVATE KEY-----\nBBBB-key-data-b\n-----END OPENSSH PRIVATE KEY-----\n';

function settings(overrides: Partial<SshSettings> = {}): SshSettings {
  return { user: 'root', port: 22, maxConcurrentStarts: 30, poolIdleTimeoutSeconds: 900, ...overrides };
}

type Method = { type: string; username: string; key?: Buffer; agent?: string } | false;

// Calls the handler as ssh2 does, until it gives up (returns false).
function methodsOf(handler: unknown): Array<{ type: string; username: string; key?: string; agent?: string }> {
  const next = handler as (methodsLeft: string[], partialSuccess: boolean, callback: (m: Method) => void) => Method;
  const out: Array<{ type: string; username: string; key?: string; agent?: string }> = [];
  for (let i = 0; i < 20; i++) {
    const method = next(['publickey'], false, () => {});
    if (method === false) return out;
    const { key, ...rest } = method;
    out.push(key === undefined ? rest : { ...rest, key: key.toString() });
  }
  throw new Error('the handler never gave up');
}

// A HOME with ~/.ssh key files and a chosen SSH_AUTH_SOCK, restored afterwards.
function withEnvironment<T>(files: Record<string, string>, agent: string | undefined, body: (home: string) => T): T {
  const home = mkdtempSync(join(tmpdir(), 'sextant-ssh-'));
  mkdirSync(join(home, '.ssh'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(home, name), content);
  const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
  process.env.HOME = home;
  if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = agent;
  try {
    return body(home);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
  }
}

const AGENT = '/tmp/ssh-test/agent.1';

test('auth: key_data with keys_only gives exactly those keys, in order, and no agent', () => {
  withEnvironment({ '.ssh/id_ed25519': 'default key' }, AGENT, () => {
    const methods = methodsOf(authHandler(settings({ keyData: [PEM_A, PEM_B], keysOnly: true }), 'deploy'));
    assert.equal(methods, [
      { type: 'publickey', username: 'deploy', key: PEM_A },
      { type: 'publickey', username: 'deploy', key: PEM_B },
    ]);
  });
});

test('auth: keys files are read (missing ones skipped, ~/ expanded), key_data first, the agent last', () => {
  withEnvironment({ '.ssh/deploy_key': PEM_B, '.ssh/id_ed25519': 'default key' }, AGENT, (home) => {
    writeFileSync(join(home, 'absolute_key'), 'absolute key');
    const methods = methodsOf(
      authHandler(settings({ keyData: [PEM_A], keys: ['~/.ssh/deploy_key', join(home, 'missing_key'), join(home, 'absolute_key')] }), 'app'),
    );
    assert.equal(methods, [
      { type: 'publickey', username: 'app', key: PEM_A },
      { type: 'publickey', username: 'app', key: PEM_B },
      { type: 'publickey', username: 'app', key: 'absolute key' },
      { type: 'agent', username: 'app', agent: AGENT },
    ]);
  });
});

test('auth: keys_only with keys files drops the agent', () => {
  withEnvironment({ '.ssh/deploy_key': PEM_B }, AGENT, () => {
    const methods = methodsOf(authHandler(settings({ keys: ['~/.ssh/deploy_key'], keysOnly: true }), 'root'));
    assert.equal(methods, [{ type: 'publickey', username: 'root', key: PEM_B }]);
  });
});

test('auth: without keys, the default ~/.ssh identities (ed25519, ecdsa, rsa) that exist, then the agent', () => {
  withEnvironment({ '.ssh/id_rsa': 'rsa key', '.ssh/id_ed25519': 'ed25519 key', '.ssh/id_dsa': 'dsa key' }, AGENT, () => {
    const methods = methodsOf(authHandler(settings(), 'root'));
    assert.equal(methods, [
      { type: 'publickey', username: 'root', key: 'ed25519 key' },
      { type: 'publickey', username: 'root', key: 'rsa key' },
      { type: 'agent', username: 'root', agent: AGENT },
    ]);
  });
});

test('auth: no SSH_AUTH_SOCK, no agent method; nothing at all gives up at once', () => {
  withEnvironment({ '.ssh/id_ecdsa': 'ecdsa key' }, undefined, () => {
    assert.equal(methodsOf(authHandler(settings(), 'root')), [{ type: 'publickey', username: 'root', key: 'ecdsa key' }]);
  });
  withEnvironment({}, undefined, () => {
    assert.equal(methodsOf(authHandler(settings(), 'root')), []);
  });
});

test('auth: each connection gets its own handler (a bastion user does not share the target user state)', () => {
  withEnvironment({}, AGENT, () => {
    const s = settings({ keyData: [PEM_A] });
    const bastion = authHandler(s, 'jump');
    const target = authHandler(s, 'deploy');
    assert.equal(methodsOf(bastion).map((m) => `${m.username} ${m.type}`), ['jump publickey', 'jump agent']);
    assert.equal(methodsOf(target).map((m) => `${m.username} ${m.type}`), ['deploy publickey', 'deploy agent']);
  });
});

test('privateKeys: key_data comes back as buffers of the PEM text', () => {
  withEnvironment({}, undefined, () => {
    const keys = privateKeys(settings({ keyData: [PEM_A], keysOnly: true }));
    assert.is(keys.length, 1);
    assert.ok(Buffer.isBuffer(keys[0]));
    assert.is(keys[0]?.toString(), PEM_A);
  });
});

test.run();
