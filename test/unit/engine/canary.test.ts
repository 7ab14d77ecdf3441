// The canary's plans (what the deployment machines walk for --canary and --promote), the pending
// canary read from the deploy lock, and the CLI's parsing of --canary, --canary-list, --canary-for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canarySplit, canaryAction, parseDuration } from '../../../src/cli/commands/canary.ts';
import { lockDetails } from '../../../src/commands/lock.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { canaryFromLock, canaryLockMessage, canaryPlan, promotePlan } from '../../../src/engine/canary.ts';
import { deployPlan } from '../../../src/engine/plan.ts';
import { tempProject } from '../config/temp-project.ts';

function planFor(servers: string, options: { lockInherited?: boolean; primary?: string } = {}) {
  const project = tempProject({
    'config/deploy.yml': `service: app\nimage: app\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\nservers:\n${servers}\n${options.primary ? `primary_role: ${options.primary}\n` : ''}`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    const plan = deployPlan(config, selectHosts(config, {}), { runId: 'r1', command: 'deploy', version: 'v2', skipPush: false, lockInherited: Boolean(options.lockInherited) });
    return { config, plan };
  } finally {
    project.cleanup();
  }
}

const WEB_AND_WORKERS = '  web:\n    hosts: [10.0.0.1, 10.0.0.2]\n  workers:\n    hosts: [10.0.0.2, 10.0.0.3]\n    cmd: work';

test('the canary plan: a deploy up to the boot (lock kept), booting only the roles behind kamal-proxy', () => {
  const { config, plan } = planFor(WEB_AND_WORKERS);
  const canary = canaryPlan(plan, config);
  assert.equal(canary.stages, ['build', 'preConnect', 'pull', 'prepare', 'lock', 'preDeploy', 'network', 'proxy', 'stopStale', 'assets', 'boot']);
  assert.equal(canary.rolesOnHost, {
    '10.0.0.1': [{ name: 'web', runsProxy: true }],
    '10.0.0.2': [{ name: 'web', runsProxy: true }],
    '10.0.0.3': [],
  });
  // Everything else (hosts, stage hosts, groups) is the deploy's: the image reaches the worker host now.
  assert.equal(canary.stageHosts, plan.stageHosts);
  assert.equal(canary.bootGroups, plan.bootGroups);
});

test('the promote plan: the boot of every role, then tag, prune, unlock, post-deploy; no build, pull or lock', () => {
  const { plan } = planFor(WEB_AND_WORKERS);
  const promote = promotePlan(plan);
  assert.equal(promote.stages, ['preConnect', 'boot', 'tagLatest', 'prune', 'unlock', 'postDeploy']);
  assert.equal(promote.rolesOnHost, plan.rolesOnHost);
});

test('a canary is refused without a proxy role, with a primary role off the proxy, or under a parent lock', () => {
  const noProxy = planFor('  workers:\n    hosts: [10.0.0.1]\n    proxy: false', { primary: 'workers' });
  assert.throws(() => canaryPlan(noProxy.plan, noProxy.config), /A canary needs a role behind kamal-proxy/);
  const primaryOff = planFor('  web:\n    hosts: [10.0.0.1]\n    proxy: true\n  jobs:\n    hosts: [10.0.0.2]\n    proxy: false', { primary: 'jobs' });
  assert.throws(() => canaryPlan(primaryOff.plan, primaryOff.config), /the primary role jobs does not run kamal-proxy/);
  const nested = planFor(WEB_AND_WORKERS, { lockInherited: true });
  assert.throws(() => canaryPlan(nested.plan, nested.config), /cannot run under a parent's lock \(KAMAL_LOCK=true\)/);
});

test('the pending canary is read from the lock details; any other lock is not one', () => {
  const at = new Date('2026-12-06T05:00:00Z');
  const details = lockDetails({ message: canaryLockMessage('20261206T050000Z-abc123'), version: 'v2', lockedBy: 'Ada', at });
  assert.equal(canaryFromLock(details), { runId: '20261206T050000Z-abc123', version: 'v2', lockedBy: 'Ada' });
  assert.is(canaryFromLock(lockDetails({ message: 'Automatic deploy lock (sextant run 20261206T050000Z-abc123)', version: 'v2', lockedBy: 'Ada', at })), undefined);
  assert.is(canaryFromLock(lockDetails({ message: 'maintenance', version: 'v2', lockedBy: 'Ada', at })), undefined);
  // A message that only mentions a canary lock is not one.
  assert.is(canaryFromLock(lockDetails({ message: `see ${canaryLockMessage('x')}`, version: 'v2', lockedBy: 'Ada', at })), undefined);
});

test('--canary takes 1% to 99% (with or without %), --canary-list cookie values; --canary-for a duration', () => {
  assert.equal(canarySplit('10%', undefined), { percent: 10, allowlist: [] });
  assert.equal(canarySplit(' 25 ', undefined), { percent: 25, allowlist: [] });
  assert.equal(canarySplit(undefined, 'a, b'), { percent: 0, allowlist: ['a', 'b'] });
  assert.equal(canarySplit('5%', 'x'), { percent: 5, allowlist: ['x'] });
  for (const bad of ['0', '100%', '1.5%', '-3', '']) assert.throws(() => canarySplit(bad, undefined), /from 1% to 99%/, bad);
  for (const bad of ['a;b', 'a b', '"a"', 'a\\b', 'a,,b']) assert.throws(() => canarySplit(undefined, bad), /cookie values/, bad);
  assert.is(parseDuration('90'), 90_000);
  assert.is(parseDuration('90s'), 90_000);
  assert.is(parseDuration('10m'), 600_000);
  assert.is(parseDuration('1h30m'), 5_400_000);
  assert.is(parseDuration('500ms'), 500);
  for (const bad of ['', 'soon', '10 m', '5d', 'm10']) assert.throws(() => parseDuration(bad), /expected a duration/, bad);
});

test('which canary step the options ask for', () => {
  assert.is(canaryAction({}), undefined);
  assert.is(canaryAction({ canary: '10%' }), 'canary');
  assert.is(canaryAction({ canaryList: 'a', canaryFor: '1m' }), 'canary');
  assert.is(canaryAction({ promote: true }), 'promote');
  assert.is(canaryAction({ abort: true }), 'abort');
  assert.throws(() => canaryAction({ abort: true, resume: 'last' }), /--abort and --resume cannot be used together/);
  assert.throws(() => canaryAction({ canaryFor: '1m', promote: true }), /--canary-for needs --canary or --canary-list/);
});

test.run();
