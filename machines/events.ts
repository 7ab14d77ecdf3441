import type { HostStage, Stage, SwapStep } from './plan.ts';

// What the machines tell the world, as typed events they `emit`. The engine listens on every actor
// of a run and forwards these to its bus; nothing outside reads state names. No event carries a
// time: the engine stamps them, so the machines stay deterministic.

export type HostStageName = HostStage | 'boot';

export interface RetryScheduled {
  type: 'retry.scheduled';
  host: string;
  role?: string;
  step: HostStage | SwapStep;
  // The attempt that will run when the wait is over (2 for the first retry).
  attempt: number;
  delayMs: number;
  reason: string;
}

export type DeployEmitted =
  | { type: 'stage.started'; stage: Stage }
  | { type: 'stage.finished'; stage: Stage; ok: boolean }
  | { type: 'lock.acquired'; host: string }
  | { type: 'lock.released'; host: string }
  | { type: 'barrier.opened'; host: string }
  | { type: 'barrier.closed'; host: string };

export type HostEmitted =
  | { type: 'host.stage.started'; host: string; stage: HostStageName }
  | { type: 'host.stage.finished'; host: string; stage: HostStageName; ok: boolean }
  | RetryScheduled;

export type RoleSwapEmitted =
  | { type: 'swap.step'; host: string; role: string; step: SwapStep; attempt: number }
  | RetryScheduled
  | { type: 'rollback.started'; host: string; role: string; reason: string }
  | { type: 'rollback.finished'; host: string; role: string; ok: boolean };

export type MachineEvent = DeployEmitted | HostEmitted | RoleSwapEmitted;
