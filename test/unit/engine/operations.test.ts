import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argv, type Command } from '../../../src/commands/command.ts';
import { renderForDisplay } from '../../../src/commands/shell.ts';
import { loadConfig, type Config } from '../../../src/config/index.ts';
import type { LockWait } from '../../../src/engine/context.ts';
import type { Session } from '../../../src/engine/session.ts';
import {
  deployLockStatus,
  on,
  pruneContainers,
  rebootProxy,
  releaseDeployLock,
  removeProxy,
  stopAccessory,
  withLock,
} from '../../../src/engine/operations/index.ts';
import { RemoteError } from '../../../src/remote/failures.ts';
import type { ExecOptions, ExecResult, Transport } from '../../../src/remote/transport.ts';
import { tempProject } from '../config/temp-project.ts';
import { testSession } from './test-session.ts';

const DEPLOY_YML = `service: shop
image: acme/shop
servers:
  web: [10.0.0.1, 10.0.0.2]
  workers: [10.0.0.3]
registry:
  username: deployer
  password: secret-not-used
builder:
  arch: amd64
accessories:
  search:
    image: getmeili/meilisearch:v1.7
    host: 10.0.0.3
    proxy:
      host: search.example.com
      app_port: 7700
`;

// A server that records what it is asked and answers through `reply` (default: success).
class FakeServer implements Transport {
  constructor(
    readonly host: string,
    private readonly log: string[],
    private readonly reply: (host: string, line: string) => Partial<ExecResult> = () => ({}),
  ) {}
  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const line = renderForDisplay(command);
    this.log.push(`[${this.host}] ${line}`);
    const result = { exitCode: 0, stdout: '', stderr: '', ...this.reply(this.host, line) };
    if (result.exitCode !== 0 && options.check !== false) throw Object.assign(new Error(`[${this.host}] failed: ${line}`), { kind: 'permanent' });
    return result;
  }
  async upload(path: string): Promise<void> {
    this.log.push(`[${this.host}] upload ${path}`);
  }
  async uploadDirectory(parent: string, name: string): Promise<void> {
    this.log.push(`[${this.host}] upload ${name}/ -> ${parent}`);
  }
  async close(): Promise<void> {}
}

interface Fixture {
  session: Session;
  log: string[];
  config: Config;
  cleanup: () => void;
}

function fixture(options: { env?: Record<string, string>; reply?: (host: string, line: string) => Partial<ExecResult>; hooks?: string[]; dryRun?: boolean; lockWait?: LockWait } = {}): Fixture {
  const files: Record<string, string> = { 'config/deploy.yml': DEPLOY_YML };
  for (const hook of options.hooks ?? []) files[`.kamal/hooks/${hook}`] = '#!/bin/sh\nexit 0\n';
  const project = tempProject(files);
  for (const hook of options.hooks ?? []) chmodSync(join(project.dir, '.kamal/hooks', hook), 0o755);
  const config = loadConfig({ cwd: project.dir, configFile: 'config/deploy.yml', env: {} });
  const log: string[] = [];
  const servers = new Map<string, FakeServer>();
  const session = testSession(config, options.dryRun ? undefined : (host) => servers.get(host) ?? servers.set(host, new FakeServer(host, log, options.reply)).get(host)!, {
    version: () => 'v42',
    command: 'app',
    env: options.env ?? {},
    skipHooks: false,
    dryRun: options.dryRun ?? false,
    onDryRunLine: (line) => log.push(line),
    lockWait: options.lockWait,
  });
  return {
    session,
    log,
    config,
    cleanup: () => {
      void session.close();
      project.cleanup();
    },
  };
}

const isLockAcquire = (line: string) => /mkdir \.kamal\/lock-shop && echo/.test(line);
const isLockRelease = (line: string) => line.endsWith('rm .kamal/lock-shop/details && rm -r .kamal/lock-shop');

test('withLock prepares every host, locks on the primary host, runs the body, then releases', async () => {
  const f = fixture();
  try {
    const result = await withLock(f.session.env, async () => {
      f.log.push('BODY');
      return 7;
    });
    assert.is(result, 7);
    const prepared = f.log.filter((line) => line.endsWith('/usr/bin/env mkdir -p .kamal')).map((line) => line.split(' ')[0]);
    assert.equal(prepared.sort(), ['[10.0.0.1]', '[10.0.0.2]', '[10.0.0.3]']);
    const acquire = f.log.findIndex(isLockAcquire);
    const body = f.log.indexOf('BODY');
    const release = f.log.findIndex(isLockRelease);
    assert.ok(acquire > 2 && acquire < body && body < release, f.log.join('\n'));
    assert.ok(f.log[acquire]?.startsWith('[10.0.0.1] '), 'the lock is taken on the primary host');
    assert.ok(f.log[release]?.startsWith('[10.0.0.1] '), 'the lock is released on the primary host');
  } finally {
    f.cleanup();
  }
});

test('withLock releases the lock when the body fails, and rethrows the body error', async () => {
  const f = fixture();
  try {
    const error = await withLock(f.session.env, async () => {
      f.log.push('BODY');
      throw new Error('boom in body');
    }).catch((e: unknown) => e);
    assert.instance(error, Error);
    assert.is((error as Error).message, 'boom in body');
    const body = f.log.indexOf('BODY');
    const release = f.log.findIndex(isLockRelease);
    assert.ok(body >= 0 && release > body, f.log.join('\n'));
  } finally {
    f.cleanup();
  }
});

test('withLock keeps the body error when releasing the lock fails too', async () => {
  const f = fixture({ reply: (_host, line) => (isLockRelease(line) ? { exitCode: 1, stderr: 'rm: Permission denied' } : {}) });
  const errors: string[] = [];
  f.session.bus.on('log', (event) => event.level === 'error' && errors.push(event.message));
  try {
    const error = await withLock(f.session.env, async () => {
      throw new Error('body failed first');
    }).catch((e: unknown) => e);
    assert.is((error as Error).message, 'body failed first');
    assert.ok(errors.some((message) => message.startsWith('Error releasing the deploy lock:')), errors.join('\n'));
  } finally {
    f.cleanup();
  }
});

test('with KAMAL_LOCK=true, withLock takes nothing: no .kamal, no lock, no release', async () => {
  const f = fixture({ env: { KAMAL_LOCK: 'true' } });
  try {
    let ran = false;
    await withLock(f.session.env, async () => {
      ran = true;
    });
    assert.ok(ran);
    assert.equal(f.log, []);
  } finally {
    f.cleanup();
  }
});

test('a lock already in place stops the operation before its body, and is left alone', async () => {
  const f = fixture({
    reply: (_host, line) =>
      isLockAcquire(line)
        ? { exitCode: 1, stderr: "mkdir: cannot create directory '.kamal/lock-shop': File exists" }
        : line.includes('base64 -d')
          ? { stdout: 'Locked by: Someone at 2025-01-01T00:00:00Z\nVersion: v41\nMessage: hands off' }
          : {},
  });
  try {
    let ran = false;
    const error = await withLock(f.session.env, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    assert.not.ok(ran);
    assert.match((error as Error).message, 'Deploy lock found');
    assert.match((error as Error).message, 'Message: hands off');
    assert.not.ok(f.log.some(isLockRelease), 'someone else’s lock is not released');
  } finally {
    f.cleanup();
  }
});

// A primary whose lock is held with `message` for the first `heldFor` tries of mkdir.
function heldLock(message: string, heldFor: number): (host: string, line: string) => Partial<ExecResult> {
  let tries = 0;
  return (_host, line) =>
    isLockAcquire(line)
      ? ++tries <= heldFor
        ? { exitCode: 1, stderr: "mkdir: cannot create directory '.kamal/lock-shop': File exists" }
        : {}
      : line.includes('base64 -d')
        ? { stdout: `Locked by: Someone at 2025-01-01T00:00:00Z\nVersion: v41\nMessage: ${message}` }
        : {};
}

test('--lock-wait: a lock another deploy took is tried again every interval until it is free', async () => {
  const f = fixture({ reply: heldLock('Automatic deploy lock (sextant run r1)', 2), lockWait: { timeoutSeconds: 60, intervalSeconds: 0.01 } });
  const logs: string[] = [];
  f.session.bus.on('log', (event) => logs.push(event.message));
  try {
    let ran = false;
    await withLock(f.session.env, async () => {
      ran = true;
    });
    assert.ok(ran);
    assert.is(f.log.filter(isLockAcquire).length, 3);
    assert.is(logs.filter((m) => m.startsWith('The deploy lock is held by another deploy; waiting up to 60s')).length, 1, logs.join('\n'));
    assert.is(logs.filter((m) => m.startsWith('Trying the deploy lock again in 1s')).length, 2, logs.join('\n'));
  } finally {
    f.cleanup();
  }
});

test('--lock-wait: a lock taken by hand is not waited for (Kamal 2.12)', async () => {
  const f = fixture({ reply: heldLock('maintenance window', 1), lockWait: { timeoutSeconds: 60, intervalSeconds: 0.01 } });
  try {
    const error = await withLock(f.session.env, async () => {}).catch((e: unknown) => e);
    assert.match((error as Error).message, 'Deploy lock found');
    assert.match((error as Error).message, 'Message: maintenance window');
    assert.match((error as Error).message, 'taken by hand');
    assert.is(f.log.filter(isLockAcquire).length, 1);
  } finally {
    f.cleanup();
  }
});

test('--lock-wait: a deploy lock still held when the wait is over fails naming its holder', async () => {
  const f = fixture({ reply: heldLock('Automatic deploy lock', Infinity), lockWait: { timeoutSeconds: 0.05, intervalSeconds: 0.01 } });
  try {
    const error = await withLock(f.session.env, async () => {}).catch((e: unknown) => e);
    assert.match((error as Error).message, 'Deploy lock found');
    assert.match((error as Error).message, 'Timed out after 0.05s waiting for the deploy lock');
    assert.ok(f.log.filter(isLockAcquire).length >= 3, `tried again: ${f.log.filter(isLockAcquire).length}`);
  } finally {
    f.cleanup();
  }
});

test('a lock released between the failed mkdir and the reading of its details is tried again at once, with or without --lock-wait', async () => {
  for (const lockWait of [undefined, { timeoutSeconds: 60, intervalSeconds: 60 }]) {
    let mkdirs = 0;
    const f = fixture({
      lockWait,
      reply: (_host, line) =>
        isLockAcquire(line)
          ? ++mkdirs === 1
            ? { exitCode: 1, stderr: "mkdir: cannot create directory '.kamal/lock-shop': File exists" }
            : {}
          : line.includes('base64 -d')
            ? { exitCode: 1, stderr: "stat: cannot statx '.kamal/lock-shop': No such file or directory" }
            : {},
    });
    try {
      let ran = false;
      await withLock(f.session.env, async () => {
        ran = true;
      });
      assert.ok(ran, `taken on the second try (lock wait ${JSON.stringify(lockWait)})`);
      assert.is(f.log.filter(isLockAcquire).length, 2);
    } finally {
      f.cleanup();
    }
  }
});

test('a lock whose details never become readable is reported after a few tries, and --lock-wait keeps waiting for it', async () => {
  const vanishing = (_host: string, line: string): Partial<ExecResult> =>
    isLockAcquire(line)
      ? { exitCode: 1, stderr: "mkdir: cannot create directory '.kamal/lock-shop': File exists" }
      : line.includes('base64 -d')
        ? { exitCode: 1, stderr: "cat: .kamal/lock-shop/details: No such file or directory" }
        : {};
  const plain = fixture({ reply: vanishing });
  try {
    const error = await withLock(plain.session.env, async () => {}).catch((e: unknown) => e);
    assert.match((error as Error).message, 'Deploy lock found');
    assert.is(plain.log.filter(isLockAcquire).length, 3);
  } finally {
    plain.cleanup();
  }
  const waiting = fixture({ reply: vanishing, lockWait: { timeoutSeconds: 0.05, intervalSeconds: 0.01 } });
  try {
    const error = await withLock(waiting.session.env, async () => {}).catch((e: unknown) => e);
    assert.match((error as Error).message, 'Timed out after 0.05s', 'waited: no details is not a lock taken by hand');
    assert.not.match((error as Error).message, 'taken by hand');
  } finally {
    waiting.cleanup();
  }
});

test('without --lock-wait a deploy lock in place fails at the first try', async () => {
  const f = fixture({ reply: heldLock('Automatic deploy lock', 1) });
  try {
    const error = await withLock(f.session.env, async () => {}).catch((e: unknown) => e);
    assert.match((error as Error).message, 'Deploy lock found');
    assert.not.match((error as Error).message, 'Timed out');
    assert.is(f.log.filter(isLockAcquire).length, 1);
  } finally {
    f.cleanup();
  }
});

test('nested withLock calls take the lock once', async () => {
  const f = fixture();
  try {
    await withLock(f.session.env, () => withLock(f.session.env, () => withLock(f.session.env, async () => {})));
    assert.is(f.log.filter(isLockAcquire).length, 1);
    assert.is(f.log.filter(isLockRelease).length, 1);
  } finally {
    f.cleanup();
  }
});

test('the pre-connect hook runs once, before the first remote command (dry run)', async () => {
  const f = fixture({ hooks: ['pre-connect'], dryRun: true });
  try {
    await on(f.session.env, ['10.0.0.3'], async (host) => void (await f.session.env.transport(host).exec(argv('true'))));
    await withLock(f.session.env, async () => {});
    const hooks = f.log.filter((line) => line.includes('.kamal/hooks/pre-connect'));
    assert.is(hooks.length, 1, f.log.join('\n'));
    assert.ok(f.log[0]?.startsWith('[local] ') && f.log[0].includes('pre-connect'), f.log.join('\n'));
  } finally {
    f.cleanup();
  }
});

test('on() waits for every host and reports all failures together', async () => {
  const f = fixture();
  try {
    const finished: string[] = [];
    const error = await on(f.session.env, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], async (host) => {
      if (host !== '10.0.0.2') {
        throw new RemoteError(`broken on ${host}`, 'permanent', host);
      }
      finished.push(host);
    }).catch((e: unknown) => e);
    assert.equal(finished, ['10.0.0.2']);
    assert.match((error as Error).message, '10.0.0.1: broken on 10.0.0.1');
    assert.match((error as Error).message, '10.0.0.3: broken on 10.0.0.3');
  } finally {
    f.cleanup();
  }
});

test('lock release and status report a missing lock instead of failing', async () => {
  const missing = { exitCode: 1, stderr: "stat: cannot statx '.kamal/lock-shop': No such file or directory" };
  const f = fixture({ reply: () => missing });
  try {
    assert.is(await releaseDeployLock(f.session.env), false);
    assert.is(await deployLockStatus(f.session.env), undefined);
  } finally {
    f.cleanup();
  }
  const held = fixture({ reply: (_host, line) => (line.includes('base64 -d') ? { stdout: 'Locked by: A at T\nVersion: 1\nMessage: m' } : {}) });
  try {
    assert.is(await deployLockStatus(held.session.env), 'Locked by: A at T\nVersion: 1\nMessage: m');
    assert.is(await releaseDeployLock(held.session.env), true);
  } finally {
    held.cleanup();
  }
});

test('prune containers refuses to retain fewer than one container, before touching a server', async () => {
  const f = fixture();
  try {
    const error = await pruneContainers(f.session.env, 0).catch((e: unknown) => e);
    assert.is((error as Error).message, 'retain must be at least 1');
    assert.equal(f.log, []);
  } finally {
    f.cleanup();
  }
});

test('proxy reboot --rolling runs the reboot hooks around each host in turn, under the lock', async () => {
  const f = fixture({ hooks: ['pre-proxy-reboot', 'post-proxy-reboot'], dryRun: true });
  try {
    await rebootProxy(f.session.env, { rolling: true });
    const steps = f.log
      .filter((line) => line.includes('proxy-reboot') || line.includes('docker container stop kamal-proxy') || isLockAcquire(line) || isLockRelease(line))
      .map((line) => (line.includes('pre-proxy-reboot') ? 'pre' : line.includes('post-proxy-reboot') ? 'post' : isLockAcquire(line) ? 'lock' : isLockRelease(line) ? 'unlock' : line.split(' ')[0]));
    // Proxy hosts: the web role's, plus the host of the accessory behind the proxy.
    assert.equal(steps, ['lock', 'pre', '[10.0.0.1]', 'post', 'pre', '[10.0.0.2]', 'post', 'pre', '[10.0.0.3]', 'post', 'unlock']);
  } finally {
    f.cleanup();
  }
});

test('stopping an accessory behind the proxy removes it from the proxy even when no container runs (Kamal 2.6.0)', async () => {
  const f = fixture();
  try {
    await stopAccessory(f.session.env, 'search');
    const onHost = f.log.filter((line) => line.startsWith('[10.0.0.3] ') && !line.includes('mkdir'));
    assert.equal(onHost.slice(-3), [
      '[10.0.0.3] docker container stop shop-search',
      '[10.0.0.3] docker container ls --filter name=^shop-search$ --quiet',
      '[10.0.0.3] docker exec kamal-proxy kamal-proxy remove shop-search',
    ]);
  } finally {
    f.cleanup();
  }
});

test('proxy remove leaves the proxy alone while other apps are installed, unless forced', async () => {
  const reply = (_host: string, line: string) => (line.includes('ls .kamal/apps | wc -l') ? { stdout: '2\n' } : {});
  const f = fixture({ reply });
  try {
    assert.is(await removeProxy(f.session.env, { force: false }), 'refused');
    assert.not.ok(f.log.some((line) => line.includes('kamal-proxy') && line.includes('prune')), f.log.join('\n'));
    assert.ok(f.log.some(isLockRelease), 'the lock is released');
  } finally {
    f.cleanup();
  }
  const forced = fixture({ reply });
  try {
    assert.is(await removeProxy(forced.session.env, { force: true }), 'forced');
    assert.ok(forced.log.some((line) => line.endsWith('docker image prune --all --force --filter label=org.opencontainers.image.title=kamal-proxy')));
    assert.ok(forced.log.some((line) => line.endsWith('rm -r .kamal/proxy')));
  } finally {
    forced.cleanup();
  }
});

test.run();
