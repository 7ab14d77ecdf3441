// Boot groups in the deploy plan: Kamal 2.6.0's order, except where that order could never finish.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { deployPlan, groupsThatOpenTheBarrier, hostsToConnectEarly, stagesFor } from '../../../src/engine/plan.ts';
import { tempProject } from '../config/temp-project.ts';

function groups(servers: string, boot: string, select: { roles?: string[] } = {}) {
  const project = tempProject({
    'config/deploy.yml': `service: app\nimage: app\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\nservers:\n${servers}\nboot:\n${boot}\n`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    return groupsThatOpenTheBarrier(config, selectHosts(config, select));
  } finally {
    project.cleanup();
  }
}

const rolesBeforeWeb = '  api:\n    hosts: [10.0.0.1, 10.0.0.2]\n    proxy: false\n  web:\n    hosts: [10.0.0.3]';

test("Kamal's config order is kept when the first group has a primary-role host", () => {
  const servers = '  web:\n    hosts: [10.0.0.1]\n  workers:\n    hosts: [10.0.0.2, 10.0.0.3]';
  assert.equal(groups(servers, '  limit: 1'), [['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3']]);
});

test('roles that sort before the primary role: its hosts boot first instead of waiting for ever', () => {
  // Kamal 2.6.0 would boot [10.0.0.1] first: api there waits for a web container nobody starts.
  assert.equal(groups(rolesBeforeWeb, '  limit: 1'), [['10.0.0.3'], ['10.0.0.1'], ['10.0.0.2']]);
  assert.equal(groups(rolesBeforeWeb, '  limit: 2'), [['10.0.0.3', '10.0.0.1'], ['10.0.0.2']]);
});

test('one group, or a selection without the primary role, is left as it is', () => {
  assert.equal(groups(rolesBeforeWeb, '  limit: 3'), [['10.0.0.1', '10.0.0.2', '10.0.0.3']]);
  // With --roles api, api is the selection's primary role and its hosts come first anyway.
  assert.equal(groups(rolesBeforeWeb, '  limit: 1', { roles: ['api'] }), [['10.0.0.1'], ['10.0.0.2']]);
});

// The stages of each command, in Kamal 2.6.0's order (cli/main.rb, cli/app.rb). The deployment
// machine runs exactly these (test/unit/machines/deploy.test.ts walks every one of them).
test('the stages each command runs', () => {
  const stages = (command: Parameters<typeof stagesFor>[0]['command'], skipPush = false, lockInherited = false) =>
    stagesFor({ command, skipPush, lockInherited }).join(' ');
  assert.is(stages('deploy'), 'build preConnect pull prepare lock preDeploy network proxy stopStale assets boot tagLatest prune unlock postDeploy');
  assert.is(stages('deploy', true), 'preConnect pull prepare lock preDeploy network proxy stopStale assets boot tagLatest prune unlock postDeploy');
  assert.is(stages('deploy', false, true), 'build preConnect pull preDeploy network proxy stopStale assets boot tagLatest prune postDeploy');
  assert.is(stages('redeploy'), 'build preConnect pull prepare lock preDeploy stopStale assets boot tagLatest unlock postDeploy');
  assert.is(stages('rollback'), 'preConnect prepare lock checkRollback preDeploy assets boot tagLatest unlock postDeploy');
  assert.is(stages('boot'), 'preConnect prepare lock assets boot tagLatest unlock');
  assert.is(
    stages('setup'),
    'preConnect prepare lock bootstrap dockerSetup build pull preDeploy network proxy accessories stopStale assets boot tagLatest prune postDeploy unlock',
  );
  assert.is(
    stages('setup', true, true),
    'preConnect bootstrap dockerSetup pull preDeploy network proxy accessories stopStale assets boot tagLatest prune postDeploy',
  );
});

function planFor(servers: string, accessories: string, command: 'deploy' | 'rollback', select: { hosts?: string[] } = {}) {
  const project = tempProject({
    'config/deploy.yml': `service: app\nimage: app\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\nservers:\n${servers}\n${accessories}`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    return deployPlan(config, selectHosts(config, select), { runId: 'r', command, version: 'v1', skipPush: false, lockInherited: false });
  } finally {
    project.cleanup();
  }
}

test('connections opened early: exactly the hosts that a stage of the run goes to', () => {
  const servers = '  web:\n    hosts: [10.0.0.1, 10.0.0.2]\n  workers:\n    hosts: [10.0.0.3]\n    proxy: false';
  const accessory = 'accessories:\n  redis:\n    image: redis\n    host: 10.0.0.9\n';
  for (const command of ['deploy', 'rollback'] as const) {
    const plan = planFor(servers, accessory, command);
    const visited = new Set(plan.stages.flatMap((stage) => (plan.stageHosts as Record<string, string[]>)[stage] ?? []));
    assert.equal(new Set(hostsToConnectEarly(plan, false)), visited, command);
    // The accessory's host takes part in Kamal's deploy only through the stages for every host.
    assert.is(visited.has('10.0.0.9'), plan.stages.some((s) => s === 'prepare' || s === 'network' || s === 'prune'));
  }
  assert.equal(hostsToConnectEarly(planFor(servers, accessory, 'deploy', { hosts: ['10.0.0.2'] }), false), ['10.0.0.2']);
});

test('connections opened early: none when the pre-connect hook is to run first', () => {
  const servers = '  web:\n    hosts: [10.0.0.1, 10.0.0.2]';
  assert.equal(hostsToConnectEarly(planFor(servers, '', 'deploy'), true), []);
});

test.run();
