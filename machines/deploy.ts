import { and, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { hostMachine, type HostReport } from './host.ts';
import type { DeployPlan, HookName, HostStage, Stage, StepFailure } from './plan.ts';
import { failureKind, failureMessage, sleepUntil } from './retry.ts';

// One deployment (setup, deploy, redeploy or rollback). It spawns a child actor per server and
// walks the plan's stages in order; a server stage sends RUN to the hosts it concerns and waits
// for all of them, as Kamal does. Any failure goes to `failing`, which releases the deploy lock
// if this run took it, and ends in `failed`.

export interface HookInput {
  name: HookName;
  hosts: string[];
  // Whether this run holds the deploy lock when the hook runs (KAMAL_LOCK).
  lock: boolean;
}

export interface DeployOutput {
  ok: boolean;
  failures: StepFailure[];
}

interface DeployContext {
  plan: DeployPlan;
  stageIndex: number;
  pending: string[];
  failures: StepFailure[];
  barrier: 'pending' | 'open' | 'closed';
  groupIndex: number;
  lockHeld: boolean;
  waitUntil?: number;
}

type DeployEvent = HostReport;

const hookOfStage: Partial<Record<Stage, HookName>> = {
  preConnect: 'pre-connect',
  preDeploy: 'pre-deploy',
  dockerSetup: 'docker-setup',
  postDeployLocked: 'post-deploy',
  postDeploy: 'post-deploy',
};

const deploySetup = setup({
  types: {
    input: {} as DeployPlan,
    context: {} as DeployContext,
    events: {} as DeployEvent,
    output: {} as DeployOutput,
  },
  actors: {
    host: hostMachine,
    build: fromPromise<void, { version: string }>(async () => {
      throw new Error('build is provided by the engine');
    }),
    hook: fromPromise<void, HookInput>(async () => {
      throw new Error('hook is provided by the engine');
    }),
    // setup's `accessory boot all`, run as one operation across the accessories' hosts.
    accessories: fromPromise<void, void>(async () => {
      throw new Error('accessories is provided by the engine');
    }),
    sleepUntil,
  },
  guards: {
    allReported: ({ context }) => context.pending.length === 0,
    anyFailed: ({ context }) => context.failures.length > 0,
    lockHeld: ({ context }) => context.lockHeld,
    allGroupsBooted: ({ context }) => context.groupIndex >= context.plan.bootGroups.length,
  },
  actions: {
    spawnHosts: enqueueActions(({ context, enqueue }) => {
      for (const host of context.plan.hosts) {
        enqueue.spawnChild('host', {
          id: host,
          input: {
            host,
            roles: context.plan.rolesOnHost[host] ?? [],
            version: context.plan.version,
            primaryRole: context.plan.primaryRole,
            retry: context.plan.retry,
          },
        });
      }
    }),
    advance: assign({ stageIndex: ({ context }) => context.stageIndex + 1 }),
    hostReported: assign({
      pending: ({ context, event }) => context.pending.filter((host) => host !== (event as { host: string }).host),
    }),
    recordHostFailure: assign({
      failures: ({ context, event }) => [...context.failures, (event as Extract<HostReport, { type: 'HOST.FAILED' }>).failure],
    }),
    recordLocalFailure: assign(({ context, event }, params: { stage: string }) => {
      const error = (event as { error?: unknown }).error;
      return { failures: [...context.failures, { stage: params.stage, kind: failureKind(error), message: failureMessage(error) }] };
    }),
    noteLockTaken: assign({ lockHeld: true }),
    noteLockReleased: assign({ lockHeld: false }),
    openBarrier: enqueueActions(({ context, enqueue }) => {
      if (context.barrier !== 'pending') return;
      enqueue.assign({ barrier: 'open' });
      for (const host of context.plan.hosts) enqueue.sendTo(host, { type: 'BARRIER.OPENED' });
    }),
    closeBarrier: enqueueActions(({ context, enqueue }) => {
      if (context.barrier !== 'pending') return;
      enqueue.assign({ barrier: 'closed' });
      for (const host of context.plan.hosts) enqueue.sendTo(host, { type: 'BARRIER.CLOSED' });
    }),
  },
});

const currentStage = (context: DeployContext): Stage | undefined => context.plan.stages[context.stageIndex];

const group = (context: DeployContext): string[] => context.plan.bootGroups[context.groupIndex] ?? [];

type DeployAction = 'advance' | 'noteLockTaken' | 'noteLockReleased';

// Sends one event to each of some hosts and waits until every one has reported; any failure then
// goes to `failing`, as a failed `on(hosts)` block does in Kamal.
function awaitingHosts(
  hosts: (context: DeployContext) => string[],
  event: { type: 'RUN'; stage: HostStage } | { type: 'BOOT' },
  done: { target: string; actions?: DeployAction[] },
) {
  return deploySetup.createStateConfig({
    entry: enqueueActions(({ context, enqueue }) => {
      const list = hosts(context);
      enqueue.assign({ pending: list });
      for (const host of list) enqueue.sendTo(host, event);
    }),
    on: {
      'HOST.DONE': { actions: 'hostReported' },
      'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure'] },
    },
    always: [
      { guard: and(['allReported', 'anyFailed']), target: '#deploy.failing' },
      { guard: 'allReported', target: done.target, actions: done.actions ?? [] },
    ],
  });
}

// A server stage: RUN goes to each host the plan names for it.
function hostStageState(stage: HostStage) {
  const lockActions: DeployAction[] = stage === 'lock' ? ['noteLockTaken'] : stage === 'unlock' ? ['noteLockReleased'] : [];
  return awaitingHosts((context) => context.plan.stageHosts[stage] ?? [], { type: 'RUN', stage }, {
    target: '#deploy.dispatch',
    actions: ['advance', ...lockActions],
  });
}

// pre-app-boot / post-app-boot around one boot group, with the group's hosts in KAMAL_HOSTS.
function groupHookState(name: 'pre-app-boot' | 'post-app-boot', next: string) {
  return deploySetup.createStateConfig({
    invoke: {
      src: 'hook',
      input: ({ context }) => ({ name, hosts: group(context), lock: context.lockHeld }),
      onDone: next,
      onError: { target: '#deploy.failing', actions: { type: 'recordLocalFailure', params: { stage: name } } },
    },
  });
}

function hookStageState(stage: Stage) {
  return deploySetup.createStateConfig({
    invoke: {
      src: 'hook',
      input: ({ context }) => ({ name: hookOfStage[stage] as HookName, hosts: context.plan.hosts, lock: context.lockHeld }),
      onDone: { target: '#deploy.dispatch', actions: 'advance' },
      onError: { target: '#deploy.failing', actions: { type: 'recordLocalFailure', params: { stage } } },
    },
  });
}


export const deployMachine = deploySetup.createMachine({
  id: 'deploy',
  context: ({ input }) => ({
    plan: input,
    stageIndex: 0,
    pending: [],
    failures: [],
    barrier: 'pending',
    groupIndex: 0,
    lockHeld: false,
  }),
  entry: 'spawnHosts',
  initial: 'dispatch',
  output: ({ context }) => ({ ok: context.failures.length === 0, failures: context.failures }),
  on: {
    'BARRIER.OPEN': { actions: 'openBarrier' },
    'BARRIER.CLOSE': { actions: 'closeBarrier' },
  },
  states: {
    dispatch: {
      always: [
        { guard: ({ context }) => currentStage(context) === undefined, target: 'succeeded' },
        { guard: ({ context }) => currentStage(context) === 'build', target: 'build' },
        { guard: ({ context }) => currentStage(context) === 'preConnect', target: 'preConnect' },
        { guard: ({ context }) => currentStage(context) === 'pull', target: 'pull' },
        { guard: ({ context }) => currentStage(context) === 'prepare', target: 'prepare' },
        { guard: ({ context }) => currentStage(context) === 'lock', target: 'lock' },
        { guard: ({ context }) => currentStage(context) === 'bootstrap', target: 'bootstrap' },
        { guard: ({ context }) => currentStage(context) === 'dockerSetup', target: 'dockerSetup' },
        { guard: ({ context }) => currentStage(context) === 'checkRollback', target: 'checkRollback' },
        { guard: ({ context }) => currentStage(context) === 'preDeploy', target: 'preDeploy' },
        { guard: ({ context }) => currentStage(context) === 'network', target: 'network' },
        { guard: ({ context }) => currentStage(context) === 'proxy', target: 'proxy' },
        { guard: ({ context }) => currentStage(context) === 'accessories', target: 'accessories' },
        { guard: ({ context }) => currentStage(context) === 'stale', target: 'stale' },
        { guard: ({ context }) => currentStage(context) === 'assets', target: 'assets' },
        { guard: ({ context }) => currentStage(context) === 'boot', target: 'boot' },
        { guard: ({ context }) => currentStage(context) === 'tagLatest', target: 'tagLatest' },
        { guard: ({ context }) => currentStage(context) === 'prune', target: 'prune' },
        { guard: ({ context }) => currentStage(context) === 'postDeployLocked', target: 'postDeployLocked' },
        { guard: ({ context }) => currentStage(context) === 'unlock', target: 'unlock' },
        { guard: ({ context }) => currentStage(context) === 'postDeploy', target: 'postDeploy' },
      ],
    },
    build: {
      invoke: {
        src: 'build',
        input: ({ context }) => ({ version: context.plan.version }),
        onDone: { target: 'dispatch', actions: 'advance' },
        onError: { target: 'failing', actions: { type: 'recordLocalFailure', params: { stage: 'build' } } },
      },
    },
    preConnect: hookStageState('preConnect'),
    pull: hostStageState('pull'),
    prepare: hostStageState('prepare'),
    lock: hostStageState('lock'),
    bootstrap: hostStageState('bootstrap'),
    dockerSetup: hookStageState('dockerSetup'),
    checkRollback: hostStageState('checkRollback'),
    preDeploy: hookStageState('preDeploy'),
    network: hostStageState('network'),
    proxy: hostStageState('proxy'),
    accessories: {
      invoke: {
        src: 'accessories',
        onDone: { target: 'dispatch', actions: 'advance' },
        onError: { target: 'failing', actions: { type: 'recordLocalFailure', params: { stage: 'accessories' } } },
      },
    },
    stale: hostStageState('stale'),
    assets: hostStageState('assets'),
    boot: {
      entry: assign({ groupIndex: 0 }),
      initial: 'nextGroup',
      states: {
        nextGroup: {
          always: [{ guard: 'allGroupsBooted', target: '#deploy.dispatch', actions: 'advance' }, { target: 'preAppBoot' }],
        },
        preAppBoot: groupHookState('pre-app-boot', 'booting'),
        booting: awaitingHosts(group, { type: 'BOOT' }, { target: 'postAppBoot' }),
        postAppBoot: groupHookState('post-app-boot', 'bootWait'),
        // boot.wait seconds after every group, the last one included, as Kamal does.
        bootWait: {
          entry: assign({ waitUntil: ({ context }) => Date.now() + (context.plan.bootWaitSeconds ?? 0) * 1000 }),
          invoke: {
            src: 'sleepUntil',
            input: ({ context }) => ({ until: context.waitUntil ?? 0 }),
            onDone: { target: 'nextGroup', actions: assign({ groupIndex: ({ context }) => context.groupIndex + 1 }) },
          },
        },
      },
    },
    tagLatest: hostStageState('tagLatest'),
    prune: hostStageState('prune'),
    postDeployLocked: hookStageState('postDeployLocked'),
    unlock: hostStageState('unlock'),
    postDeploy: hookStageState('postDeploy'),
    failing: {
      always: [{ guard: 'lockHeld', target: 'releasingLock' }, { target: 'failed' }],
    },
    // Whatever failed, a lock this run took is given back.
    releasingLock: {
      entry: enqueueActions(({ context, enqueue }) => {
        const hosts = context.plan.stageHosts.unlock ?? [];
        enqueue.assign({ pending: hosts });
        for (const host of hosts) enqueue.sendTo(host, { type: 'RUN', stage: 'unlock' });
      }),
      on: {
        'HOST.DONE': { actions: 'hostReported' },
        'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure'] },
      },
      always: { guard: 'allReported', target: 'failed', actions: 'noteLockReleased' },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
  },
});
