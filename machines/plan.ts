// The plain-data plan a deployment machine runs. The engine computes it from the config and the
// CLI request; the machines only walk it, so it is persisted with every snapshot.

// Stages of a deployment. Which ones a command runs, and in what order, is data (the plan's
// `stages`): `setup` locks first and builds under the lock, `redeploy` skips the proxy and prune,
// and so on. The deployment machine's chart holds every stage in every position a command puts it.
export type Stage =
  | 'build'
  | 'preConnect'
  | 'pull'
  | 'prepare'
  | 'lock'
  | 'bootstrap'
  | 'dockerSetup'
  | 'checkRollback'
  | 'preDeploy'
  | 'network'
  | 'proxy'
  | 'accessories'
  | 'stopStale'
  | 'assets'
  | 'boot'
  | 'tagLatest'
  | 'prune'
  | 'unlock'
  | 'postDeploy'
  // Never in a plan's list: the fleet policy's revert, run inside a failed boot.
  | 'revert';

// Stages that run on servers, each host doing its share in a child actor.
export const hostStages = [
  'pull',
  'prepare',
  'lock',
  'bootstrap',
  'checkRollback',
  'network',
  'proxy',
  'stopStale',
  'assets',
  'tagLatest',
  'prune',
  'unlock',
  // The fleet policy `revert`: a host that switched goes back to its previous version.
  'revert',
] as const;
export type HostStage = (typeof hostStages)[number];

// The steps of one role's swap on one host, in order; rollback replaces stopOld after a failure.
export type SwapStep = 'renameClash' | 'start' | 'health' | 'stopOld' | 'rollback';

export type HookName =
  | 'pre-connect'
  | 'pre-build'
  | 'pre-deploy'
  | 'post-deploy'
  | 'pre-app-boot'
  | 'post-app-boot'
  | 'docker-setup'
  | 'pre-proxy-reboot'
  | 'post-proxy-reboot';

export interface RetryPolicy {
  attempts: number; // tries in all, including the first
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RolePlan {
  name: string;
  runsProxy: boolean;
}

export interface DeployPlan {
  runId: string;
  command: 'deploy' | 'redeploy' | 'rollback' | 'setup' | 'boot';
  version: string;
  stages: Stage[];
  // Every host a child actor is spawned for, primary first.
  hosts: string[];
  // Which hosts each server stage runs on (app hosts, proxy hosts, the lock host, …).
  stageHosts: Partial<Record<HostStage, string[]>>;
  // Roles each host boots, in Kamal's order (primary role first).
  rolesOnHost: Record<string, RolePlan[]>;
  // Kamal 2.10's boot.parallel_roles: each host swaps its roles at once.
  parallelRoles?: boolean;
  // The role whose first healthy container lets the other roles boot.
  primaryRole: string;
  bootGroups: string[][];
  bootWaitSeconds?: number;
  retry: RetryPolicy;
  // x-sextant.fleet: how many hosts may fail their boot before the deploy stops (as a count of the
  // plan's boot hosts), and what then happens to the hosts already switched. Absent: none may fail,
  // and they keep the new version (Kamal's behaviour).
  fleet?: FleetPlan;
}

export interface FleetPlan {
  maxFailures: number;
  onFailure: 'keep' | 'revert';
}

// Failures travel as plain data so they can sit in a persisted snapshot.
export interface StepFailure {
  host?: string;
  stage: string;
  role?: string;
  message: string;
  kind: 'transient' | 'permanent';
  // A host's failed boot within x-sextant.fleet.max_failures: reported, but the deploy went on.
  tolerated?: boolean;
}
