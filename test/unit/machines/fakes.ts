// Fake step handlers for the deployment machines: they record what the machines asked for and fail
// on demand, so the machines' flow can be tested without servers. The machines are wired to them
// by the engine's own providedDeployMachine (and its host and role-swap parts).
import type { DeployPlan } from '../../../machines/plan.ts';
import type { SwapStepInput } from '../../../machines/role-swap.ts';
import { providedDeployMachine, type StepHandlers } from '../../../src/engine/run.ts';

export type Call = string; // "host stage", "host role step", "hook name hosts", "build", "accessories"

export interface Fakes {
  calls: Call[];
  // Decides what a call does: return nothing to succeed, or throw to fail.
  behave: (call: Call, attempt: number) => void | Promise<void>;
  oldVersion?: (input: SwapStepInput) => string | undefined;
}

export function transient(message = 'connection reset'): Error {
  return Object.assign(new Error(message), { kind: 'transient' });
}

export function permanent(message = 'exit 1'): Error {
  return Object.assign(new Error(message), { kind: 'permanent' });
}

export function fakeHandlers(fakes: Fakes): StepHandlers {
  const record = async (call: Call, attempt: number) => {
    fakes.calls.push(call);
    await fakes.behave(call, attempt);
  };
  return {
    build: () => record('build', 1),
    hook: (input) => record(`hook ${input.name} ${input.hosts.join(',')}`, 1),
    accessories: () => record('accessories', 1),
    hostStep: (input) => record(`${input.host} ${input.stage}`, input.attempt),
    swapStep: async (input) => {
      await record(`${input.host} ${input.role} ${input.step}`, input.attempt);
      return input.step === 'renameClash' ? { oldVersion: fakes.oldVersion?.(input) } : {};
    },
  };
}

export function fakeDeployMachine(fakes: Fakes) {
  return providedDeployMachine(fakeHandlers(fakes));
}

export function plan(overrides: Partial<DeployPlan> = {}): DeployPlan {
  return {
    runId: 'test-run',
    command: 'deploy',
    version: 'v2',
    stages: ['preConnect', 'pull', 'prepare', 'lock', 'preDeploy', 'network', 'proxy', 'stopStale', 'boot', 'tagLatest', 'prune', 'unlock', 'postDeploy'],
    hosts: ['h1', 'h2'],
    stageHosts: {
      pull: ['h1', 'h2'],
      prepare: ['h1', 'h2'],
      lock: ['h1'],
      network: ['h1', 'h2'],
      proxy: ['h1', 'h2'],
      stopStale: ['h1', 'h2'],
      tagLatest: ['h1', 'h2'],
      prune: ['h1', 'h2'],
      unlock: ['h1'],
    },
    rolesOnHost: {
      h1: [{ name: 'web', runsProxy: true }, { name: 'workers', runsProxy: false }],
      h2: [{ name: 'web', runsProxy: true }, { name: 'workers', runsProxy: false }],
    },
    primaryRole: 'web',
    bootGroups: [['h1', 'h2']],
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
    ...overrides,
  };
}

// The calls one host received, in order, without the host name.
export function callsOf(calls: Call[], host: string): string[] {
  return calls.filter((c) => c.startsWith(`${host} `)).map((c) => c.slice(host.length + 1));
}

// A promise and the function that settles it, for steps a test holds until it lets them go.
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
