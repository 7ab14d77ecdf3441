import { and, assertEvent, assign, emit, enqueueActions, fromPromise, raise, setup } from 'xstate';
import type { DeployEmitted } from './events.ts';
import type { HostReport } from './host.ts';
import { byGroup, groupId, grouping, hostGroupMachine, type GroupCommand } from './host-group.ts';
import type { DeployPlan, HookName, HostStage, Stage, StepFailure } from './plan.ts';
import { failureKind, failureMessage, readClock, sleepUntil, type ClockReading } from './retry.ts';

// One deployment (setup, deploy, redeploy, rollback or app boot). It spawns an actor per server
// (in groups of 32, host-group.ts) and walks its chart, which lists the stages in Kamal's order:
//
//   build → preConnect → pull → prepare → lock → locked → unlock → postDeploy
//   locked: bootstrap → dockerSetup → build → pull → checkRollback → preDeploy → network → proxy
//           → accessories → stopStale → assets → boot → tagLatest → prune → postDeploy
//
// Which stages a command runs is the plan's list (`plan.stages`, tested data in
// src/engine/plan.ts). A stage of the chart runs when it is the plan's next one and is skipped
// otherwise, so build, pull and postDeploy can sit both before and under the lock (setup builds
// under the lock; deploy before it). A server stage sends RUN to the hosts the plan names for it
// and waits for all of them, as Kamal's `on(hosts)` does. A failed stage raises STAGE.FAILED:
// inside `locked` that releases the lock this run took, elsewhere the run just fails.

export interface HookInput {
  name: HookName;
  hosts: string[];
  // Whether the run is under the deploy lock when the hook runs (KAMAL_LOCK).
  lock: boolean;
}

export interface AccessoriesInput {
  // Whether the run holds the deploy lock (so the accessory operation takes none itself).
  lock: boolean;
}

export interface DeployOutput {
  ok: boolean;
  failures: StepFailure[];
}

interface DeployContext {
  plan: DeployPlan;
  // The plan's next stage (an index into plan.stages).
  stageIndex: number;
  pending: string[];
  failures: StepFailure[];
  barrier: 'pending' | 'open' | 'closed';
  groupIndex: number;
  waitUntil?: number;
  // Hosts whose boot succeeded (they run the new version), for the fleet policy `revert`.
  switched: string[];
  // Hosts whose boot failed, counted against x-sextant.fleet.max_failures.
  bootFailed: string[];
}

type DeployEvent = HostReport | { type: 'STAGE.FAILED' };

const group = (context: DeployContext): string[] => context.plan.bootGroups[context.groupIndex] ?? [];

const deploySetup = setup({
  types: {
    input: {} as DeployPlan,
    context: {} as DeployContext,
    events: {} as DeployEvent,
    output: {} as DeployOutput,
    emitted: {} as DeployEmitted,
  },
  actors: {
    hostGroup: hostGroupMachine,
    build: fromPromise<void, { version: string }>(async () => {
      throw new Error('build is provided by the engine');
    }),
    hook: fromPromise<void, HookInput>(async () => {
      throw new Error('hook is provided by the engine');
    }),
    // setup's `accessory boot all`, run as one operation across the accessories' hosts.
    accessories: fromPromise<void, AccessoriesInput>(async () => {
      throw new Error('accessories is provided by the engine');
    }),
    readClock,
    sleepUntil,
  },
  guards: {
    // The one guard that skips a stage of the chart: the plan does not run it here.
    notPlannedHere: ({ context }, params: { stage: Stage }) => context.plan.stages[context.stageIndex] !== params.stage,
    allReported: ({ context }) => context.pending.length === 0,
    anyFailed: ({ context }) => context.failures.length > 0,
    allGroupsBooted: ({ context }) => context.groupIndex >= context.plan.bootGroups.length,
    bootWaits: ({ context }) => (context.plan.bootWaitSeconds ?? 0) > 0,
    // A run that inherited the lock (KAMAL_LOCK=true) leaves it to its parent.
    tookLock: ({ context }) => context.plan.stages.includes('lock'),
    planWalked: ({ context }) => context.stageIndex >= context.plan.stages.length,
    // More failed boots than x-sextant.fleet.max_failures allows: the deploy stops.
    tooManyFailed: ({ context }) => context.bootFailed.length > (context.plan.fleet?.maxFailures ?? 0),
    revertsSwitched: ({ context }) => context.plan.fleet?.onFailure === 'revert' && context.switched.length > 0,
  },
  actions: {
    // The host actors, in groups (see host-group.ts).
    spawnHosts: enqueueActions(({ context: { plan }, enqueue }) => {
      grouping(plan.hosts).groups.forEach((hosts, index) => {
        enqueue.spawnChild('hostGroup', {
          id: groupId(index),
          input: {
            hosts: hosts.map((host) => ({
              host,
              roles: plan.rolesOnHost[host] ?? [],
              version: plan.version,
              primaryRole: plan.primaryRole,
              retry: plan.retry,
              ...(plan.parallelRoles ? { parallelRoles: true } : {}),
            })),
          },
        });
      });
    }),
    startStage: enqueueActions(({ context, enqueue }, params: { stage: Stage }) => {
      enqueue.assign({ stageIndex: context.stageIndex + 1 });
      enqueue.emit({ type: 'stage.started', stage: params.stage });
    }),
    finishStage: emit((_, params: { stage: Stage; ok: boolean }) => ({ type: 'stage.finished' as const, stage: params.stage, ok: params.ok })),
    failStage: raise({ type: 'STAGE.FAILED' }),
    // RUN to the hosts the plan names for the stage (BOOT to the boot group's); all must report.
    runOnHosts: enqueueActions(({ context, enqueue }, params: { stage: HostStage }) => {
      const hosts = context.plan.stageHosts[params.stage] ?? [];
      enqueue.assign({ pending: hosts });
      for (const [index, part] of byGroup(context.plan.hosts, hosts)) enqueue.sendTo(groupId(index), { type: 'RUN', stage: params.stage, hosts: part } satisfies GroupCommand);
    }),
    bootGroup: enqueueActions(({ context, enqueue }) => {
      const hosts = group(context);
      enqueue.assign({ pending: hosts });
      for (const [index, part] of byGroup(context.plan.hosts, hosts)) enqueue.sendTo(groupId(index), { type: 'BOOT', hosts: part } satisfies GroupCommand);
    }),
    hostReported: assign(({ context, event }) => {
      assertEvent(event, ['HOST.DONE', 'HOST.FAILED']);
      return { pending: context.pending.filter((host) => host !== event.host) };
    }),
    recordHostFailure: assign(({ context, event }) => {
      assertEvent(event, 'HOST.FAILED');
      return { failures: [...context.failures, event.failure] };
    }),
    recordLocalFailure: assign(({ context }, params: { stage: string; error: unknown }) => ({
      failures: [...context.failures, { stage: params.stage, kind: failureKind(params.error), message: failureMessage(params.error) }],
    })),
    recordUnwalkedStages: assign(({ context }) => ({
      failures: [
        ...context.failures,
        {
          stage: 'plan',
          kind: 'permanent' as const,
          message: `The plan's stages ${context.plan.stages.slice(context.stageIndex).join(', ')} are not in the deployment's order`,
        },
      ],
    })),
    lockAcquired: emit(({ event }) => {
      assertEvent(event, 'HOST.DONE');
      return { type: 'lock.acquired' as const, host: event.host };
    }),
    lockReleased: emit(({ event }) => {
      assertEvent(event, 'HOST.DONE');
      return { type: 'lock.released' as const, host: event.host };
    }),
    openBarrier: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'BARRIER.OPEN');
      if (context.barrier !== 'pending') return;
      enqueue.assign({ barrier: 'open' });
      enqueue.emit({ type: 'barrier.opened', host: event.host });
      grouping(context.plan.hosts).groups.forEach((_, index) => enqueue.sendTo(groupId(index), { type: 'BARRIER.OPENED' } satisfies GroupCommand));
    }),
    closeBarrier: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'BARRIER.CLOSE');
      if (context.barrier !== 'pending') return;
      enqueue.assign({ barrier: 'closed' });
      enqueue.emit({ type: 'barrier.closed', host: event.host });
      grouping(context.plan.hosts).groups.forEach((_, index) => enqueue.sendTo(groupId(index), { type: 'BARRIER.CLOSED' } satisfies GroupCommand));
    }),
    noteSwitched: assign(({ context, event }) => {
      assertEvent(event, 'HOST.DONE');
      return { switched: [...context.switched, event.host] };
    }),
    // Failed boots within the allowance are kept in the report, marked tolerated.
    noteBootFailure: assign(({ context, event }) => {
      assertEvent(event, 'HOST.FAILED');
      return { bootFailed: [...context.bootFailed, event.host] };
    }),
    tolerateBootFailures: assign(({ context }) => ({
      failures: context.failures.map((f) => (f.host !== undefined && context.bootFailed.includes(f.host) ? { ...f, tolerated: true } : f)),
    })),
    revertSwitched: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ pending: context.switched });
      for (const [index, part] of byGroup(context.plan.hosts, context.switched)) enqueue.sendTo(groupId(index), { type: 'RUN', stage: 'revert', hosts: part } satisfies GroupCommand);
    }),
    startBoot: assign({ groupIndex: 0 }),
    nextGroup: assign({ groupIndex: ({ context }) => context.groupIndex + 1 }),
    setBootWait: assign(({ context }, params: { clock: ClockReading }) => ({
      waitUntil: params.clock.now + (context.plan.bootWaitSeconds ?? 0) * 1000,
    })),
  },
});

// Every stage: `check` skips it when the plan does not run it here; otherwise it starts. Its
// `failed` state raises STAGE.FAILED, which the enclosing state turns into the failure path.
function gate(stage: Stage, next: string, first: string, also: Array<'startBoot'> = []) {
  return deploySetup.createStateConfig({
    description: `Runs ${stage} if it is the plan's next stage, else goes on to the next stage of the chart`,
    always: [
      { guard: { type: 'notPlannedHere', params: { stage } }, target: next },
      { target: first, actions: [{ type: 'startStage', params: { stage } }, ...also] },
    ],
  });
}

function failedState(stage: Stage) {
  return deploySetup.createStateConfig({
    description: 'The stage failed: STAGE.FAILED goes to the enclosing failure path',
    entry: [{ type: 'finishStage', params: { stage, ok: false } }, 'failStage'],
  });
}

// A server stage: RUN goes to each host the plan names for it, and every host must report.
function hostStage(stage: HostStage, description: string, next: string, onHostDone: Array<'lockAcquired' | 'lockReleased'> = []) {
  return deploySetup.createStateConfig({
    description,
    initial: 'check',
    states: {
      check: gate(stage, next, 'running'),
      running: {
        description: 'RUN went to the stage\'s hosts; waits until every one has reported',
        entry: { type: 'runOnHosts', params: { stage } },
        on: {
          'HOST.DONE': { actions: ['hostReported', ...onHostDone] },
          'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure'] },
        },
        always: [
          { guard: and(['allReported', 'anyFailed']), target: 'failed' },
          { guard: 'allReported', target: next, actions: { type: 'finishStage', params: { stage, ok: true } } },
        ],
      },
      failed: failedState(stage),
    },
  });
}

// A hook run locally, with every host in KAMAL_HOSTS.
function hookStage(stage: Stage, hook: HookName, description: string, next: string, lock: boolean) {
  return deploySetup.createStateConfig({
    description,
    initial: 'check',
    states: {
      check: gate(stage, next, 'running'),
      running: {
        description: `Runs the ${hook} hook`,
        invoke: {
          src: 'hook',
          input: ({ context }) => ({ name: hook, hosts: context.plan.hosts, lock }),
          onDone: { target: next, actions: { type: 'finishStage', params: { stage, ok: true } } },
          onError: { target: 'failed', actions: { type: 'recordLocalFailure', params: ({ event }) => ({ stage, error: event.error }) } },
        },
      },
      failed: failedState(stage),
    },
  });
}

function buildStage(description: string, next: string) {
  return deploySetup.createStateConfig({
    description,
    initial: 'check',
    states: {
      check: gate('build', next, 'running'),
      running: {
        description: 'Builds the image and pushes it to the registry (pre-build hook, buildx)',
        invoke: {
          src: 'build',
          input: ({ context }) => ({ version: context.plan.version }),
          onDone: { target: next, actions: { type: 'finishStage', params: { stage: 'build', ok: true } } },
          onError: { target: 'failed', actions: { type: 'recordLocalFailure', params: ({ event }) => ({ stage: 'build', error: event.error }) } },
        },
      },
      failed: failedState('build'),
    },
  });
}

const L = '#deploy.locked';

export const deployMachine = deploySetup.createMachine({
  id: 'deploy',
  description: "A deployment: the plan's stages in Kamal's order, one host actor per server",
  context: ({ input }) => ({
    plan: input,
    stageIndex: 0,
    pending: [],
    failures: [],
    barrier: 'pending',
    groupIndex: 0,
    switched: [],
    bootFailed: [],
  }),
  entry: 'spawnHosts',
  initial: 'build',
  output: ({ context }) => ({ ok: context.failures.every((f) => f.tolerated), failures: context.failures }),
  on: {
    'BARRIER.OPEN': { actions: 'openBarrier' },
    'BARRIER.CLOSE': { actions: 'closeBarrier' },
    // A stage failed outside the lock: nothing to give back.
    'STAGE.FAILED': '.failed',
  },
  states: {
    build: buildStage('Builds and pushes the image before anything goes to a server (deploy, redeploy)', '#deploy.preConnect'),
    preConnect: hookStage('preConnect', 'pre-connect', 'The pre-connect hook, before the first command goes to a server', '#deploy.pull', false),
    pull: hostStage('pull', 'Every app host pulls the new image (deploy, redeploy)', '#deploy.prepare'),
    prepare: hostStage('prepare', 'Makes sure the run directory (.kamal) exists on every host, for the lock', '#deploy.lock'),
    lock: hostStage('lock', 'Takes the deploy lock on the primary host', L, ['lockAcquired']),
    locked: {
      description:
        'Everything done under the deploy lock. STAGE.FAILED in here goes to releasingLock, so a failed run gives back the lock it took (with KAMAL_LOCK=true the lock is the parent\'s, and stays)',
      initial: 'bootstrap',
      on: { 'STAGE.FAILED': '#deploy.releasingLock' },
      onDone: '#deploy.unlock',
      states: {
        bootstrap: hostStage('bootstrap', 'Installs Docker where it is missing and can be installed (setup)', `${L}.dockerSetup`),
        dockerSetup: hookStage('dockerSetup', 'docker-setup', 'The docker-setup hook (setup)', `${L}.build`, true),
        build: buildStage('Builds and pushes the image under the lock (setup)', `${L}.pull`),
        pull: hostStage('pull', 'Every app host pulls the new image (setup)', `${L}.checkRollback`),
        checkRollback: hostStage('checkRollback', 'Checks that the rollback version exists as a container on every app host (rollback)', `${L}.preDeploy`),
        preDeploy: hookStage('preDeploy', 'pre-deploy', 'The pre-deploy hook', `${L}.network`, true),
        network: hostStage('network', 'Creates the kamal docker network where it is missing', `${L}.proxy`),
        proxy: hostStage('proxy', 'Boots kamal-proxy on the proxy hosts (or checks its version)', `${L}.accessories`),
        accessories: {
          description: "Boots every accessory (setup's accessory boot all)",
          initial: 'check',
          states: {
            check: gate('accessories', `${L}.stopStale`, 'running'),
            running: {
              description: 'Runs the accessory boot operation across the accessories\' hosts',
              invoke: {
                src: 'accessories',
                input: { lock: true },
                onDone: { target: `${L}.stopStale`, actions: { type: 'finishStage', params: { stage: 'accessories', ok: true } } },
                onError: {
                  target: 'failed',
                  actions: { type: 'recordLocalFailure', params: ({ event }) => ({ stage: 'accessories', error: event.error }) },
                },
              },
            },
            failed: failedState('accessories'),
          },
        },
        stopStale: hostStage('stopStale', 'Stops containers of this version left running under another name (Kamal\'s stale containers)', `${L}.assets`),
        assets: hostStage('assets', 'Extracts the asset directories of roles with asset_path', `${L}.boot`),
        boot: {
          description: "Boots the app group by group (boot.limit): pre-app-boot, every role on the group's hosts, post-app-boot, boot.wait",
          initial: 'check',
          states: {
            check: gate('boot', `${L}.tagLatest`, 'nextGroup', ['startBoot']),
            nextGroup: {
              description: 'Picks the next boot group, or ends the stage when every group has booted',
              always: [
                { guard: 'allGroupsBooted', target: `${L}.tagLatest`, actions: { type: 'finishStage', params: { stage: 'boot', ok: true } } },
                { target: 'preAppBoot' },
              ],
            },
            preAppBoot: {
              description: "The pre-app-boot hook, with the group's hosts",
              invoke: {
                src: 'hook',
                input: ({ context }) => ({ name: 'pre-app-boot', hosts: group(context), lock: true }),
                onDone: 'booting',
                onError: { target: 'failed', actions: { type: 'recordLocalFailure', params: ({ event }) => ({ stage: 'pre-app-boot', error: event.error }) } },
              },
            },
            booting: {
              description: "BOOT went to the group's hosts (they swap their roles; the primary role opens the barrier); waits for every one",
              entry: 'bootGroup',
              on: {
                'HOST.DONE': { actions: ['hostReported', 'noteSwitched'] },
                'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure', 'noteBootFailure'] },
              },
              always: [
                { guard: and(['allReported', 'tooManyFailed', 'revertsSwitched']), target: 'reverting' },
                { guard: and(['allReported', 'tooManyFailed']), target: 'failed' },
                { guard: and(['allReported', 'anyFailed']), target: 'postAppBoot', actions: 'tolerateBootFailures' },
                { guard: 'allReported', target: 'postAppBoot' },
              ],
            },
            reverting: {
              description: "Too many hosts failed and the fleet policy is revert: RUN revert goes to every host that had switched, and waits for them",
              entry: 'revertSwitched',
              on: {
                'HOST.DONE': { actions: 'hostReported' },
                'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure'] },
              },
              always: { guard: 'allReported', target: 'failed' },
            },
            postAppBoot: {
              description: "The post-app-boot hook, with the group's hosts",
              invoke: {
                src: 'hook',
                input: ({ context }) => ({ name: 'post-app-boot', hosts: group(context), lock: true }),
                onDone: [{ guard: 'bootWaits', target: 'bootWait' }, { target: 'nextGroup', actions: 'nextGroup' }],
                onError: { target: 'failed', actions: { type: 'recordLocalFailure', params: ({ event }) => ({ stage: 'post-app-boot', error: event.error }) } },
              },
            },
            // boot.wait seconds after every group, the last one included, as Kamal does.
            bootWait: {
              description: 'Waits boot.wait seconds after the group, until a deadline kept in context',
              initial: 'scheduling',
              states: {
                scheduling: {
                  description: 'Reads the clock and sets the deadline',
                  invoke: {
                    src: 'readClock',
                    onDone: { target: 'waiting', actions: { type: 'setBootWait', params: ({ event }) => ({ clock: event.output }) } },
                  },
                },
                waiting: {
                  description: 'Sleeps until the deadline',
                  invoke: {
                    src: 'sleepUntil',
                    input: ({ context }) => ({ until: context.waitUntil ?? 0 }),
                    onDone: { target: `${L}.boot.nextGroup`, actions: 'nextGroup' },
                  },
                },
              },
            },
            failed: failedState('boot'),
          },
        },
        tagLatest: hostStage('tagLatest', 'Tags the new image as latest on every app host', `${L}.prune`),
        prune: hostStage('prune', 'Prunes old containers and images', `${L}.postDeploy`),
        postDeploy: hookStage('postDeploy', 'post-deploy', 'The post-deploy hook under the lock (setup)', `${L}.done`, true),
        done: {
          type: 'final',
          description: 'Every stage under the lock has run; the lock is released next',
        },
      },
    },
    unlock: hostStage('unlock', 'Releases the deploy lock', '#deploy.postDeploy', ['lockReleased']),
    postDeploy: hookStage('postDeploy', 'post-deploy', 'The post-deploy hook, after the lock is released', '#deploy.finished', false),
    finished: {
      description: 'The end of the chart: succeeded, unless the plan listed a stage the chart could not run in its order',
      always: [{ guard: 'planWalked', target: 'succeeded' }, { target: 'failed', actions: 'recordUnwalkedStages' }],
    },
    // Whatever failed under the lock, a lock this run took is given back.
    releasingLock: {
      description: 'A stage failed under the lock: releases the lock this run took, then fails',
      initial: 'check',
      states: {
        check: {
          description: 'A lock inherited from a parent (KAMAL_LOCK=true) is left to it',
          always: [{ guard: 'tookLock', target: 'running' }, { target: '#deploy.failed' }],
        },
        running: {
          description: 'RUN unlock went to the lock host; waits for it',
          entry: { type: 'runOnHosts', params: { stage: 'unlock' } },
          on: {
            'HOST.DONE': { actions: ['hostReported', 'lockReleased'] },
            'HOST.FAILED': { actions: ['hostReported', 'recordHostFailure'] },
          },
          always: { guard: 'allReported', target: '#deploy.failed' },
        },
      },
    },
    succeeded: { type: 'final', description: 'Every planned stage ran' },
    failed: { type: 'final', description: 'A stage failed; the failures are the output' },
  },
});
