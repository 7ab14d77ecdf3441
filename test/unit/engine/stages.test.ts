// A whole deployment through the engine's own steps and machines, over dry-run transports (nothing
// is contacted; the simulated servers answer): the bus's stage events are exactly the plan's
// stages in order, `boot` included, and each host's are the plan's stages for that host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostStages, type DeployPlan, type HostStage, type Stage } from '../../../machines/plan.ts';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import type { EngineEvent } from '../../../src/engine/events.ts';
import { stepHandlers } from '../../../src/engine/handlers.ts';
import { deployPlan, type DeployCommand } from '../../../src/engine/plan.ts';
import { runDeployment } from '../../../src/engine/run.ts';
import { openSession } from '../../../src/engine/session.ts';
import { createSecrets } from '../../../src/secrets/index.ts';
import { tempProject } from '../config/temp-project.ts';

const DEPLOY_YML = `service: shop
image: acme/shop
servers:
  web: [10.0.0.1, 10.0.0.2]
  workers:
    hosts: [10.0.0.2, 10.0.0.3]
    cmd: bin/jobs
registry:
  username: deployer
  password: not-a-secret
builder:
  arch: amd64
boot:
  limit: 2
accessories:
  db:
    image: mysql:8
    host: 10.0.0.3
`;

interface Case {
  command: DeployCommand;
  skipPush?: boolean;
  lockInherited?: boolean;
  roles?: string[];
}

async function deployment(c: Case): Promise<{ plan: DeployPlan; events: EngineEvent[]; ok: boolean }> {
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML });
  try {
    const config = loadConfig({ cwd: project.dir, configFile: 'config/deploy.yml', env: {} });
    const selection = selectHosts(config, c.roles ? { roles: c.roles } : {});
    const session = openSession({
      config,
      selection,
      secrets: createSecrets(new Map(), []),
      version: () => 'v9',
      command: c.command,
      cwd: project.dir,
      env: c.lockInherited ? { KAMAL_LOCK: 'true' } : {},
      skipHooks: false,
      dryRun: true,
      // A rollback's target exists (stopped) on every app host.
      existingContainers: () => ['shop-web-v9', 'shop-workers-v9'],
    });
    const plan = deployPlan(config, selection, {
      runId: 'stages',
      command: c.command,
      version: 'v9',
      skipPush: Boolean(c.skipPush),
      lockInherited: session.env.lockInherited,
    });
    const events: EngineEvent[] = [];
    session.bus.onAny((event) => events.push(event));
    const output = await runDeployment({ plan, handlers: stepHandlers(session.env), bus: session.bus });
    await session.close();
    return { plan, events, ok: output.ok };
  } finally {
    project.cleanup();
  }
}

const isHostStage = (stage: Stage): stage is HostStage => (hostStages as readonly string[]).includes(stage);

// The plan's stages that concern one host: its server stages, and boot if it is in a boot group.
function hostShare(plan: DeployPlan, host: string): string[] {
  return plan.stages.filter((stage) =>
    stage === 'boot' ? plan.bootGroups.some((group) => group.includes(host)) : isHostStage(stage) && (plan.stageHosts[stage] ?? []).includes(host),
  );
}

const cases: Case[] = [
  { command: 'deploy' },
  { command: 'deploy', skipPush: true },
  { command: 'deploy', lockInherited: true },
  { command: 'deploy', roles: ['workers'] },
  { command: 'redeploy' },
  { command: 'rollback' },
  { command: 'setup' },
  { command: 'setup', skipPush: true, lockInherited: true },
  { command: 'boot' },
];

for (const c of cases) {
  const name = `${c.command}${c.skipPush ? ' -P' : ''}${c.lockInherited ? ' (KAMAL_LOCK=true)' : ''}${c.roles ? ` -r ${c.roles.join(',')}` : ''}`;
  test(`${name}: stage events are the plan's stages in order, boot included; each host's are its share of them`, async () => {
    const { plan, events, ok } = await deployment(c);
    assert.ok(ok, `${name} succeeded`);
    assert.ok(plan.stages.includes('boot'));
    const stages = events.filter((e) => e.type === 'stage.started' || e.type === 'stage.finished');
    assert.equal(
      stages.map((e) => `${e.type === 'stage.started' ? '>' : '<'} ${e.stage}${e.type === 'stage.finished' ? (e.ok ? ' ok' : ' failed') : ''}`),
      plan.stages.flatMap((stage) => [`> ${stage}`, `< ${stage} ok`]),
      'each stage starts, and finishes before the next one starts',
    );
    for (const host of plan.hosts) {
      const started = events.flatMap((e) => (e.type === 'host.stage.started' && e.host === host ? [e.stage] : []));
      const finished = events.flatMap((e) => (e.type === 'host.stage.finished' && e.host === host && e.ok ? [e.stage] : []));
      assert.equal(started, hostShare(plan, host), `${host}'s stages`);
      assert.equal(finished, started, `${host} finished each of them`);
    }
  });
}

test('the stages a failed run got through, and no more; the lock it took is released', async () => {
  // A plan whose image is missing on the servers is not something the dry run can fake; a
  // rollback to a version that exists nowhere fails its checkRollback stage instead.
  const project = tempProject({ 'config/deploy.yml': DEPLOY_YML });
  try {
    const config = loadConfig({ cwd: project.dir, configFile: 'config/deploy.yml', env: {} });
    const selection = selectHosts(config);
    const session = openSession({
      config, selection, secrets: createSecrets(new Map(), []), version: () => 'v9', command: 'rollback', cwd: project.dir, env: {}, skipHooks: false, dryRun: true,
    });
    const plan = deployPlan(config, selection, { runId: 'failed', command: 'rollback', version: 'v9', skipPush: false, lockInherited: false });
    const events: EngineEvent[] = [];
    session.bus.onAny((event) => events.push(event));
    const output = await runDeployment({ plan, handlers: stepHandlers(session.env), bus: session.bus });
    assert.is(output.ok, false);
    assert.equal(events.filter((e) => e.type === 'stage.started').map((e) => (e as { stage: string }).stage), ['preConnect', 'prepare', 'lock', 'checkRollback']);
    assert.equal(
      events.filter((e) => e.type.startsWith('lock.')).map((e) => `${e.type} ${(e as { host: string }).host}`),
      ['lock.acquired 10.0.0.1', 'lock.released 10.0.0.1'],
    );
    assert.ok(events.some((e) => e.type === 'stage.finished' && e.stage === 'checkRollback' && !e.ok));
  } finally {
    project.cleanup();
  }
});

test.run();
