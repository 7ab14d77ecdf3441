import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';
import { leakedSecrets } from '../secrets/canary.ts';

const HOOKS = ['pre-connect', 'pre-build', 'pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot', 'docker-setup', 'pre-proxy-reboot', 'post-proxy-reboot'];
const example = readFileSync(new URL('../../../examples/hello/config/deploy.yml', import.meta.url), 'utf8');

function project() {
  const config = example.replace(/servers:\n  web:\n(    - .*\n)+/, 'servers:\n  web:\n    - 10.9.0.1\n    - 10.9.0.2\n  workers:\n    hosts:\n      - 10.9.0.2\n    cmd: /app/serve.sh\n');
  const p = tempProject({ 'config/deploy.yml': config, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=SEXTANT-CANARY-PW\n', Dockerfile: 'FROM scratch\n' });
  mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
  for (const hook of HOOKS) {
    writeFileSync(join(p.dir, '.kamal/hooks', hook), '#!/bin/sh\ntouch "$0.ran"\n');
    chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
  }
  return p;
}

test('deploy --dry-run prints the whole plan in Kamal order, touching nothing', async () => {
  const p = project();
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH });
    assert.is(await runCli(['deploy', '--version', 'v9', '--dry-run'], io), 0, io.stderr);
    const lines = io.stdout.split('\n');
    const at = (pattern: RegExp, from = 0) => {
      const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
      assert.ok(index >= 0, `no line matching ${pattern} after line ${from}:\n${io.stdout}`);
      return index;
    };
    const order = [
      /^\[local\] docker --version && docker buildx version$/,
      /^\[local\] docker login 10\.213\.0\.1:5443 -u \[REDACTED\] -p \[REDACTED\]$/,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/pre-build$/,
      /^\[local\] docker buildx build --output=type=registry .* -t 10\.213\.0\.1:5443\/sextant\/hello:v9 -t 10\.213\.0\.1:5443\/sextant\/hello:latest /,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/pre-connect$/,
      /^\[10\.9\.0\.1\] docker pull 10\.213\.0\.1:5443\/sextant\/hello:v9$/,
      /^\[10\.9\.0\.1\] \/usr\/bin\/env mkdir \.kamal\/lock-hello && echo/,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/pre-deploy$/,
      /^\[10\.9\.0\.2\] docker container start kamal-proxy \|\| echo/,
      /^\[10\.9\.0\.2\] docker ps --filter label=service=hello --filter label=destination= --filter label=role=workers --format/,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/pre-app-boot$/,
      /^\[10\.9\.0\.1\] docker run --detach --restart unless-stopped --name hello-web-v9 /,
      /^\[10\.9\.0\.2\] docker exec kamal-proxy kamal-proxy deploy hello-web --target="0123456789ab:80"/,
      /^\[10\.9\.0\.2\] docker run --detach --restart unless-stopped --name hello-workers-v9 .* \/app\/serve\.sh$/,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/post-app-boot$/,
      /^\[10\.9\.0\.1\] docker tag 10\.213\.0\.1:5443\/sextant\/hello:v9 10\.213\.0\.1:5443\/sextant\/hello:latest$/,
      /^\[10\.9\.0\.2\] docker image prune --force --filter label=service=hello$/,
      /^\[10\.9\.0\.1\] \/usr\/bin\/env rm \.kamal\/lock-hello\/details && rm -r \.kamal\/lock-hello$/,
      /^\[local\] \/usr\/bin\/env \.kamal\/hooks\/post-deploy$/,
    ];
    let from = 0;
    for (const pattern of order) from = at(pattern, from) + 1;
    // Env files are shown as uploads with their mode, never with their content.
    assert.ok(lines.includes('[10.9.0.2] upload .kamal/apps/hello/env/roles/workers.env (mode 0600, 0 lines)'));
    assert.not.ok(io.stdout.includes('SEXTANT-CANARY-PW'), 'no secret in the plan');
    assert.equal(leakedSecrets(io.stdout + io.stderr, ['SEXTANT-CANARY-PW']), [], 'no secret in the plan, base64 included');
    // Nothing ran: no hook left its mark, no run was recorded.
    for (const hook of HOOKS) assert.not.ok(existsSync(join(p.dir, `.kamal/hooks/${hook}.ran`)), `${hook} did not run`);
    assert.not.ok(existsSync(join(p.dir, '.kamal/runs')), 'a dry run keeps no run record');
  } finally {
    p.cleanup();
  }
});

test.run();
