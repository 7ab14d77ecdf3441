// Canary deploys through kamal-proxy's rollout (docs/canary.md). A canary is two runs of the
// deployment machines with plans of their own, and the deploy lock in between:
//   canary  — a deploy up to the boot, whose boot starts only the proxy roles' new containers and
//             makes them kamal-proxy's rollout target with a share of the traffic. The run ends
//             holding the deploy lock; the lock's message names the run and says it is a canary.
//   promote — the canary's version takes all the traffic (kamal-proxy deploy, rollout stop, the
//             previous version stopped), the other roles boot, then tag, prune, unlock, post-deploy.
// An abort is an operation: rollout stop, the canary containers removed, the lock released.
import type { DeployPlan, Stage } from '../../machines/plan.ts';
import type { RolloutSplit } from '../commands/proxy-rollout.ts';
import type { Config } from '../config/index.ts';
import { UserError } from '../errors.ts';
import type { StepEnv } from './context.ts';
import { classified, stepHandlers } from './handlers.ts';
import { deployLockStatus } from './operations/lock.ts';
import { on } from './operations/runtime.ts';
import type { StepHandlers } from './run.ts';
import { abortCanaryOn, canarySwapStep, promoteSwapStep, unhealthyCanaries } from './steps/canary.ts';
import { releaseLock } from './steps/server.ts';

const CANARY_LOCK = 'Canary deploy lock';

export function canaryLockMessage(runId: string): string {
  return `${CANARY_LOCK} (sextant run ${runId})`;
}

// The stages of a deploy that come after the boot wait for the promote.
const AFTER_PROMOTE: Stage[] = ['tagLatest', 'prune', 'unlock', 'postDeploy'];

/** The canary run's plan: a deploy's up to the boot, which boots only the roles behind kamal-proxy. */
export function canaryPlan(plan: DeployPlan, config: Config): DeployPlan {
  if (plan.command !== 'deploy') throw new Error(`a canary is a deploy, not a ${plan.command}`);
  if (!plan.stages.includes('lock')) throw new UserError('A canary holds the deploy lock until it is promoted or aborted: it cannot run under a parent\'s lock (KAMAL_LOCK=true).');
  const proxied = new Set(config.roles.filter((r) => r.runsProxy).map((r) => r.name));
  const rolesOnHost = Object.fromEntries(Object.entries(plan.rolesOnHost).map(([host, roles]) => [host, roles.filter((r) => proxied.has(r.name))]));
  if (!Object.values(rolesOnHost).some((roles) => roles.length > 0)) {
    throw new UserError('A canary needs a role behind kamal-proxy on the selected hosts (config/deploy.yml: `proxy`); none is selected.');
  }
  if (!proxied.has(plan.primaryRole)) {
    throw new UserError(`A canary sends a share of the primary role's traffic to the new version: the primary role ${plan.primaryRole} does not run kamal-proxy.`);
  }
  return { ...plan, stages: plan.stages.filter((s) => !AFTER_PROMOTE.includes(s)), rolesOnHost };
}

/** The promote run's plan: the boot (the canary's roles switch, the others boot), then what a deploy does after it. */
export function promotePlan(plan: DeployPlan): DeployPlan {
  return { ...plan, stages: ['preConnect', 'boot', ...AFTER_PROMOTE] };
}

export function canaryHandlers(env: StepEnv, split: RolloutSplit): StepHandlers {
  return { ...stepHandlers(env), swapStep: (input) => classified(env, input.host, () => canarySwapStep(env, input, split)) };
}

export function promoteHandlers(env: StepEnv): StepHandlers {
  return { ...stepHandlers(env), swapStep: (input) => classified(env, input.host, () => promoteSwapStep(env, input)) };
}

export interface PendingCanary {
  runId: string;
  version: string;
  lockedBy: string;
}

/** What the deploy lock's details say of a canary, if the lock is a canary's. */
export function canaryFromLock(details: string): PendingCanary | undefined {
  const message = /^Message: (.*)$/m.exec(details)?.[1] ?? '';
  const runId = new RegExp(`^${CANARY_LOCK} \\(sextant run (\\S+?)\\)$`).exec(message)?.[1];
  const version = /^Version: (.*)$/m.exec(details)?.[1]?.trim();
  if (!runId || !version) return undefined;
  return { runId, version, lockedBy: /^Locked by: (.*) at /m.exec(details)?.[1] ?? 'Unknown' };
}

/** The canary waiting for its promote or abort, found from the deploy lock on the primary host. */
export async function findPendingCanary(env: StepEnv): Promise<{ canary?: PendingCanary; details?: string }> {
  const details = await deployLockStatus(env);
  if (details === undefined) return {};
  return { canary: canaryFromLock(details), details };
}

/** The web hosts: those where the selected roles run kamal-proxy. */
export function canaryHosts(env: StepEnv): string[] {
  const proxied = env.config.roles.filter((r) => r.runsProxy && env.selection.roles.includes(r.name));
  return env.selection.appHosts.filter((host) => proxied.some((role) => role.hosts.includes(host)));
}

/** Abort: on every web host at once, then the deploy lock is released (when this process may). */
export async function abortCanary(env: StepEnv, version: string, options: { releaseLock: boolean }): Promise<void> {
  await on(env, canaryHosts(env), (host) => abortCanaryOn(env, host, version));
  if (!options.releaseLock) return;
  const lockHost = env.selection.primaryHost;
  if (lockHost) await releaseLock(env, lockHost, 2);
}

export type CanaryVerdict = { healthy: true } | { healthy: false; problems: string[] };

/**
 * `--canary-for`: the canary's containers are checked every few seconds for `durationMs`; the
 * first check that finds one not healthy (or not running) ends the watch.
 */
export async function watchCanary(env: StepEnv, version: string, durationMs: number, everyMs = 2000): Promise<CanaryVerdict> {
  const until = Date.now() + durationMs;
  for (;;) {
    const problems: string[] = [];
    await on(env, canaryHosts(env), async (host) => {
      problems.push(...(await unhealthyCanaries(env, host, version)));
    });
    if (problems.length > 0) return { healthy: false, problems: problems.sort() };
    const left = until - Date.now();
    if (left <= 0 || env.dryRun) return { healthy: true };
    await env.sleep(Math.min(everyMs, left));
  }
}
