// deploy --canary / --promote / --abort --dry-run: the rollout commands per host, in order, and
// the options refused before anything runs.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

const example = readFileSync(new URL('../../../examples/hello/config/deploy.yml', import.meta.url), 'utf8');

// web on .1 and .2, workers (no proxy) on .2 and .3.
function project() {
  const config = example.replace(
    /servers:\n  web:\n(    - .*\n)+/,
    'servers:\n  web:\n    - 10.9.0.1\n    - 10.9.0.2\n  workers:\n    hosts:\n      - 10.9.0.2\n      - 10.9.0.3\n    cmd: /app/serve.sh\n',
  );
  const p = tempProject({ '.kamal/hooks/.keep': '', 'config/deploy.yml': config, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=SEXTANT-CANARY-PW\n', Dockerfile: 'FROM scratch\n' });
  for (const hook of ['pre-deploy', 'post-deploy']) {
    writeFileSync(join(p.dir, '.kamal/hooks', hook), '#!/bin/sh\n');
    chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
  }
  return p;
}

async function dryRun(args: string[]): Promise<{ code: number; lines: string[]; stderr: string }> {
  const p = project();
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    const code = await runCli([...args, '--dry-run'], io);
    return { code, lines: io.stdout.split('\n'), stderr: io.stderr };
  } finally {
    p.cleanup();
  }
}

function inOrder(lines: string[], patterns: RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
    assert.ok(index >= 0, `no line matching ${pattern} after line ${from}:\n${lines.join('\n')}`);
    from = index + 1;
  }
}

test('deploy --canary 10% --dry-run: the new web container becomes the rollout target with 10%; nothing is stopped, the lock stays held, workers wait', async () => {
  const { code, lines, stderr } = await dryRun(['deploy', '--version', 'v9', '--canary', '10%']);
  assert.is(code, 0, stderr);
  for (const host of ['10.9.0.1', '10.9.0.2']) {
    inOrder(lines, [
      new RegExp(`^\\[${host}\\] docker run --detach --restart unless-stopped --name hello-web-v9 `),
      new RegExp(`^\\[${host}\\] docker exec kamal-proxy kamal-proxy rollout deploy hello-web --target="0123456789ab:80" --deploy-timeout="20s" --drain-timeout="5s"$`),
      new RegExp(`^\\[${host}\\] docker exec kamal-proxy kamal-proxy rollout set hello-web --percent="10"$`),
    ]);
  }
  assert.not.ok(lines.some((l) => /kamal-proxy deploy hello-web/.test(l)), 'the live target is not switched');
  assert.not.ok(lines.some((l) => /hello-workers-v9/.test(l)), 'workers are not booted');
  assert.not.ok(lines.some((l) => /xargs docker stop/.test(l) && /hello-web/.test(l) && !/stale/.test(l) && /v9|--latest/.test(l)), 'no web container is stopped');
  assert.not.ok(lines.some((l) => /rm -r \.kamal\/lock-hello/.test(l)), 'the lock is not released');
  assert.not.ok(lines.some((l) => /hooks\/post-deploy/.test(l)), 'post-deploy waits for the promote');
  inOrder(lines, [/^\[10\.9\.0\.1\] \/usr\/bin\/env mkdir \.kamal\/lock-hello && echo/, /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/pre-deploy$/, /rollout set/]);
});

test('deploy --canary-list beta-1,beta-2 --dry-run: an allowlist alone is a share of 0% plus the list', async () => {
  const { code, lines, stderr } = await dryRun(['deploy', '--version', 'v9', '--canary-list', 'beta-1,beta-2']);
  assert.is(code, 0, stderr);
  assert.ok(lines.includes('[10.9.0.1] docker exec kamal-proxy kamal-proxy rollout set hello-web --percent="0" --list="beta-1,beta-2"'), lines.join('\n'));
});

test('deploy --promote --dry-run: kamal-proxy deploy to the canary, rollout stop, the old version stopped; workers boot; tag, prune, unlock, post-deploy', async () => {
  const { code, lines, stderr } = await dryRun(['deploy', '--version', 'v9', '--promote']);
  assert.is(code, 0, stderr);
  for (const host of ['10.9.0.1', '10.9.0.2']) {
    inOrder(lines, [
      new RegExp(`^\\[${host}\\] docker start hello-web-v9$`),
      new RegExp(`^\\[${host}\\] docker exec kamal-proxy kamal-proxy deploy hello-web --target="0123456789ab:80"`),
      new RegExp(`^\\[${host}\\] docker exec kamal-proxy kamal-proxy rollout stop hello-web$`),
    ]);
  }
  assert.not.ok(lines.some((l) => /docker run .*--name hello-web-v9/.test(l)), 'the canary container is not started again');
  assert.not.ok(lines.some((l) => /docker rename hello-web-v9/.test(l)), 'the canary container is not renamed aside');
  inOrder(lines, [
    /^\[10\.9\.0\.3\] docker run --detach --restart unless-stopped --name hello-workers-v9 /,
    /^\[10\.9\.0\.1\] docker tag /,
    /^\[10\.9\.0\.1\] \/usr\/bin\/env rm \.kamal\/lock-hello\/details && rm -r \.kamal\/lock-hello$/,
    /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/post-deploy$/,
  ]);
  assert.not.ok(lines.some((l) => /hooks\/pre-deploy/.test(l)), 'pre-deploy ran with the canary');
  assert.not.ok(lines.some((l) => /docker buildx build|docker pull/.test(l)), 'nothing is built or pulled again');
});

test('deploy --abort --dry-run: rollout stop, the canary stopped and removed on each web host, the lock released; workers untouched', async () => {
  const { code, lines, stderr } = await dryRun(['deploy', '--version', 'v9', '--abort']);
  assert.is(code, 0, stderr);
  for (const host of ['10.9.0.1', '10.9.0.2']) {
    inOrder(lines, [
      new RegExp(`^\\[${host}\\] docker exec kamal-proxy kamal-proxy rollout stop hello-web$`),
      new RegExp(`^\\[${host}\\] .*Aborted the canary of app version v9`),
      new RegExp(`^\\[${host}\\] docker container ls --all --filter name=\\^hello-web-v9\\$ --quiet \\| xargs docker stop`),
      new RegExp(`^\\[${host}\\] docker container ls --all --filter name=\\^hello-web-v9\\$ --quiet \\| xargs docker container rm$`),
    ]);
  }
  assert.ok(lines.includes('[10.9.0.1] /usr/bin/env rm .kamal/lock-hello/details && rm -r .kamal/lock-hello'), lines.join('\n'));
  assert.not.ok(lines.some((l) => l.startsWith('[10.9.0.3]') && /docker/.test(l)), 'the worker-only host is not touched');
});

test('contradictory or malformed canary options are refused before anything runs', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--canary', '10%', '--promote'], /--canary and --promote cannot be used together/],
    [['--promote', '--abort'], /--promote and --abort cannot be used together/],
    [['--canary-for', '5m'], /--canary-for needs --canary or --canary-list/],
    [['--canary', '0%'], /expected a share of the traffic from 1% to 99%/],
    [['--canary', '150'], /expected a share of the traffic from 1% to 99%/],
    [['--canary', 'ten'], /expected a share of the traffic from 1% to 99% \(e\.g\. 10%\), got "ten"/],
    [['--canary-list', 'a b,c'], /--canary-list: expected comma-separated kamal-rollout cookie values .* got "a b"/],
    [['--canary', '10%', '--canary-for', 'soon'], /--canary-for: expected a duration such as 90s, 10m or 1h30m, got "soon"/],
  ];
  for (const [args, expected] of cases) {
    const { code, lines, stderr } = await dryRun(['deploy', '--version', 'v9', ...args]);
    assert.is(code, 1, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, expected);
    assert.not.ok(lines.some((l) => l.startsWith('[')), `${args.join(' ')}: nothing runs`);
  }
});

test.run();
