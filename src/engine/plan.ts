import { bootGroups, rolesOn, type Config, type Selection } from '../config/index.ts';
import type { DeployPlan, HostStage, Stage } from '../../machines/plan.ts';

export type DeployCommand = DeployPlan['command'];

export interface PlanRequest {
  runId: string;
  command: DeployCommand;
  version: string;
  skipPush: boolean;
  // KAMAL_LOCK=true: a hook's nested call runs under its parent's lock and takes none itself.
  lockInherited: boolean;
}

// The stages each command runs, in Kamal 2.6.0's order (cli/main.rb).
export function stagesFor(request: Pick<PlanRequest, 'command' | 'skipPush' | 'lockInherited'>): Stage[] {
  const deliver: Stage[] = request.skipPush ? ['preConnect', 'pull'] : ['build', 'preConnect', 'pull'];
  const locking = (stages: Stage[]): Stage[] =>
    request.lockInherited ? stages.filter((s) => s !== 'prepare' && s !== 'lock' && s !== 'unlock') : stages;
  switch (request.command) {
    case 'deploy':
      return locking([...deliver, 'prepare', 'lock', 'preDeploy', 'network', 'proxy', 'stopStale', 'assets', 'boot', 'tagLatest', 'prune', 'unlock', 'postDeploy']);
    case 'redeploy':
      return locking([...deliver, 'prepare', 'lock', 'preDeploy', 'stopStale', 'assets', 'boot', 'tagLatest', 'unlock', 'postDeploy']);
    case 'boot':
      return locking(['preConnect', 'prepare', 'lock', 'assets', 'boot', 'tagLatest', 'unlock']);
    case 'rollback':
      return locking(['preConnect', 'prepare', 'lock', 'checkRollback', 'preDeploy', 'assets', 'boot', 'tagLatest', 'unlock', 'postDeploy']);
    case 'setup': {
      // setup takes the lock first; the deploy inside it runs under that lock, and so its
      // post-deploy hook runs before the lock is released.
      const build: Stage[] = request.skipPush ? ['pull'] : ['build', 'pull'];
      return locking([
        'preConnect', 'prepare', 'lock', 'bootstrap', 'dockerSetup', ...build,
        'preDeploy', 'network', 'proxy', 'accessories', 'stopStale', 'assets', 'boot', 'tagLatest', 'prune', 'postDeploy', 'unlock',
      ]);
    }
  }
}

export function deployPlan(config: Config, selection: Selection, request: PlanRequest): DeployPlan {
  const selectedRoles = config.roles.filter((role) => selection.roles.includes(role.name));
  const lockHost = selection.primaryHost ? [selection.primaryHost] : [];
  // `revert` goes to the hosts that switched, known only during the boot.
  const stageHosts: Record<Exclude<HostStage, 'revert'>, string[]> = {
    pull: selection.appHosts,
    prepare: selection.hosts,
    lock: lockHost,
    unlock: lockHost,
    bootstrap: selection.hosts,
    checkRollback: selection.appHosts,
    network: selection.hosts,
    proxy: selection.proxyHosts,
    stopStale: selection.appHosts,
    assets: selection.appHosts,
    tagLatest: selection.appHosts,
    prune: selection.hosts,
  };
  const hosts = unique([...lockHost, ...selection.hosts]);
  // Roles on a host: the selection's primary role first, then the others alphabetically.
  const ordered = [...selectedRoles].sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
  function rank(name: string): number {
    return name === selection.primaryRole ? 0 : 1;
  }
  const retry = config.sextant.retry;
  return {
    runId: request.runId,
    command: request.command,
    version: request.version,
    stages: stagesFor(request),
    hosts,
    stageHosts,
    rolesOnHost: Object.fromEntries(
      selection.appHosts.map((host) => [host, rolesOn(ordered, host).map((role) => ({ name: role.name, runsProxy: role.runsProxy }))]),
    ),
    primaryRole: selection.primaryRole ?? config.primaryRole ?? 'web',
    bootGroups: groupsThatOpenTheBarrier(config, selection),
    bootWaitSeconds: config.boot.wait,
    retry: { attempts: retry.attempts, baseDelayMs: retry.baseDelay * 1000, maxDelayMs: retry.maxDelay * 1000 },
    ...fleetPlan(config, selection),
    ...(config.boot.parallelRoles ? { parallelRoles: true } : {}),
  };
}

// x-sextant.fleet as the machine reads it (a percentage turned into a count of the app hosts);
// left out when it is the default, so plans of drop-in configs stay as they were.
function fleetPlan(config: Config, selection: Selection): { fleet?: DeployPlan['fleet'] } {
  const { maxFailures, onFailure } = config.sextant.fleet;
  const count = 'count' in maxFailures ? maxFailures.count : Math.floor(maxFailures.percent * selection.appHosts.length);
  return count === 0 && onFailure === 'keep' ? {} : { fleet: { maxFailures: count, onFailure } };
}

// Kamal 2.6.0 slices the app hosts in config order. When the first group holds no host of the
// selection's primary role, that group's other roles wait at the barrier for a container no group
// has started, and the boot hangs for ever. Only in that case Sextant puts the primary role's
// hosts first (as Kamal 2.6.1 always does); every boot Kamal 2.6.0 completes keeps its order.
export function groupsThatOpenTheBarrier(config: Config, selection: Selection): string[][] {
  const groups = bootGroups(config, selection.appHosts);
  const primaryRole = config.roles.find((role) => role.name === selection.primaryRole);
  const primaryHosts = selection.appHosts.filter((host) => primaryRole?.hosts.includes(host));
  const first = groups[0] ?? [];
  if (groups.length < 2 || primaryHosts.length === 0 || first.some((host) => primaryHosts.includes(host))) return groups;
  return bootGroups(config, [...primaryHosts, ...selection.appHosts.filter((host) => !primaryHosts.includes(host))]);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/**
 * The hosts a run may connect to before its first host stage: every host one of its stages goes
 * to, so that the SSH handshakes overlap the start-up and the build. None when the pre-connect
 * hook is to run, since that hook comes before any connection (it may set up the very route).
 */
export function hostsToConnectEarly(plan: Pick<DeployPlan, 'stages' | 'stageHosts'>, preConnectHookRuns: boolean): string[] {
  if (preConnectHookRuns) return [];
  const stageHosts: Partial<Record<Stage, string[]>> = plan.stageHosts;
  return unique(plan.stages.flatMap((stage) => stageHosts[stage] ?? []));
}

// Stages whose commands a host may send in the round trip of the stage before it, the two being
// next to each other in the plan. Kamal runs each stage on every host before the next stage on
// any; here a host may do its share of the second while another host is still on the first. On
// each host the commands are still sent in Kamal's order, and what a host does early is something
// no other host can see:
// - pull → prepare: `mkdir -p .kamal` (which the pull's audit line has just done anyway).
// - network → proxy: the proxy's registry login and version probe (a read) after the host's own
//   `docker network create`; the proxy is only started in the proxy stage, once the probe is read.
// - tagLatest → prune: the host prunes its own stopped containers and dangling images right after
//   its own tag; no host prunes before its tag.
// A first stage that fails sends nothing of the second (the network's "already exists" is not a
// failure; a real one still lets the login and the probe run, and both are harmless).
const RIDES: ReadonlyArray<readonly [HostStage, HostStage]> = [
  ['pull', 'prepare'],
  ['network', 'proxy'],
  ['tagLatest', 'prune'],
];

/** The stage whose commands `host` sends along with `stage`'s, if any (see RIDES). */
export function rideAlong(plan: Pick<DeployPlan, 'stages' | 'stageHosts'>, stage: HostStage, host: string): HostStage | undefined {
  const index = plan.stages.indexOf(stage);
  if (index < 0) return undefined;
  const next = plan.stages[index + 1];
  const ride = RIDES.find(([first, second]) => first === stage && second === next);
  if (!ride || !(plan.stageHosts[ride[1]] ?? []).includes(host)) return undefined;
  return ride[1];
}
