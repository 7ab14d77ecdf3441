// kamal-proxy v0.9.0's rollout commands, and the request split they ask for (its
// rollout_controller.go: FNV-1a of the kamal-rollout cookie value, or the allowlist).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goesToRollout, rolloutDeploy, rolloutSet, rolloutStop } from '../../../src/commands/proxy-rollout.ts';
import { render } from '../../../src/commands/shell.ts';
import { fixture, roleOf } from '../../fixtures/commands/a/load.ts';

const config = fixture('deploy');
const web = roleOf(config, 'web');

test('rollout deploy: the target with the role app port, the deploy and drain timeouts', () => {
  assert.is(render(rolloutDeploy({ config, role: web, target: '0123456789ab' })),
    'docker exec kamal-proxy kamal-proxy rollout deploy app-web --target="0123456789ab:80" --deploy-timeout="30s" --drain-timeout="30s"');
  const staging = fixture('deploy', 'staging');
  assert.is(render(rolloutDeploy({ config: staging, role: roleOf(staging, 'web'), target: 'abc' })),
    'docker exec kamal-proxy kamal-proxy rollout deploy app-web-staging --target="abc:80" --deploy-timeout="30s" --drain-timeout="30s"');
});

test('rollout deploy refuses a role without the proxy', () => {
  const workers = config.roles.find((r) => !r.runsProxy);
  assert.ok(workers, 'the fixture has a role without the proxy');
  assert.throws(() => rolloutDeploy({ config, role: workers, target: 'abc' }), /does not run the proxy/);
});

test('rollout set: the percent always, the list only when given (comma-joined, quoted)', () => {
  assert.is(render(rolloutSet(web, { percent: 10, allowlist: [] })), 'docker exec kamal-proxy kamal-proxy rollout set app-web --percent="10"');
  assert.is(render(rolloutSet(web, { percent: 0, allowlist: ['beta-1', 'b$x'] })), 'docker exec kamal-proxy kamal-proxy rollout set app-web --percent="0" --list="beta-1,b\\$x"');
});

test('rollout stop', () => {
  assert.is(render(rolloutStop(web)), 'docker exec kamal-proxy kamal-proxy rollout stop app-web');
});

test('the split: no cookie never goes to the rollout; the allowlist always does; the percent is a stable hash range', () => {
  assert.not.ok(goesToRollout(undefined, { percent: 100, allowlist: [] }));
  assert.not.ok(goesToRollout('', { percent: 100, allowlist: [''] }));
  assert.ok(goesToRollout('beta', { percent: 0, allowlist: ['beta'] }));
  assert.not.ok(goesToRollout('beta2', { percent: 0, allowlist: ['beta'] }));
  assert.ok(goesToRollout('anything', { percent: 100, allowlist: [] }));
  // FNV-1a 32 of "a" is 0xe40c292c (3826002220): past 88 %, inside 90 %.
  assert.not.ok(goesToRollout('a', { percent: 88, allowlist: [] }));
  assert.ok(goesToRollout('a', { percent: 90, allowlist: [] }));
  const values = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
  const share = (percent: number) => values.filter((v) => goesToRollout(v, { percent, allowlist: [] })).length / values.length;
  assert.ok(Math.abs(share(10) - 0.1) < 0.03, `10 %: ${share(10)}`);
  assert.ok(Math.abs(share(50) - 0.5) < 0.03, `50 %: ${share(50)}`);
  // A larger share keeps every value a smaller one had (the split is a prefix of the hash range).
  assert.ok(values.filter((v) => goesToRollout(v, { percent: 10, allowlist: [] })).every((v) => goesToRollout(v, { percent: 20, allowlist: [] })));
});

test.run();
