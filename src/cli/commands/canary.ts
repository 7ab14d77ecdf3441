// `sextant deploy --canary SHARE [--canary-list VALUES] [--canary-for DURATION]`, then
// `sextant deploy --promote` or `sextant deploy --abort` (docs/canary.md).
import type { Command } from 'commander';
import type { RolloutSplit } from '../../commands/proxy-rollout.ts';
import { abortCanary, canaryHandlers, canaryLockMessage, canaryPlan, findPendingCanary, promoteHandlers, promotePlan, watchCanary, type PendingCanary } from '../../engine/canary.ts';
import { deployPlan } from '../../engine/plan.ts';
import { runRecorded } from '../../engine/recorded-run.ts';
import type { RunRequest } from '../../engine/run-record.ts';
import { newRunId, type Session } from '../../engine/session.ts';
import { rolesOn } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import type { Project } from '../project.ts';
import type { CliContext } from '../program.ts';
import { withSession, type ServerCommandOptions } from '../session.ts';

export interface CanaryOptions extends ServerCommandOptions {
  skipPush?: boolean;
  resume?: string;
  inspect?: true | string;
  canary?: string;
  canaryList?: string;
  canaryFor?: string;
  promote?: boolean;
  abort?: boolean;
}

export type CanaryAction = 'canary' | 'promote' | 'abort';

/** Which canary step the options ask for, if any; contradictory options are refused. */
export function canaryAction(options: CanaryOptions): CanaryAction | undefined {
  const starting = options.canary !== undefined || options.canaryList !== undefined;
  const asked = [starting && '--canary', options.promote && '--promote', options.abort && '--abort', options.resume !== undefined && '--resume'].filter(Boolean);
  if (asked.length > 1) throw new UserError(`deploy: ${asked.join(' and ')} cannot be used together`);
  if (options.canaryFor !== undefined && !starting) throw new UserError('deploy: --canary-for needs --canary or --canary-list');
  if (starting) return 'canary';
  if (options.promote) return 'promote';
  if (options.abort) return 'abort';
  return undefined;
}

/** `--canary 10%` (or `10`) and `--canary-list a,b`: the split kamal-proxy is given. */
export function canarySplit(share: string | undefined, list: string | undefined): RolloutSplit {
  let percent = 0;
  if (share !== undefined) {
    const match = /^\s*(\d{1,3})\s*%?\s*$/.exec(share);
    percent = match ? Number(match[1]) : NaN;
    if (!(percent >= 1 && percent <= 99)) {
      throw new UserError(`deploy --canary: expected a share of the traffic from 1% to 99% (e.g. 10%), got ${JSON.stringify(share)}`);
    }
  }
  const allowlist = list === undefined ? [] : list.split(',').map((v) => v.trim());
  // kamal-proxy matches the `kamal-rollout` cookie value exactly; a comma would split the list.
  const bad = allowlist.find((v) => !/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/.test(v));
  if (bad !== undefined) {
    throw new UserError(`deploy --canary-list: expected comma-separated kamal-rollout cookie values (no spaces, quotes, semicolons or backslashes), got ${JSON.stringify(bad)} in ${JSON.stringify(list)}`);
  }
  return { percent, allowlist };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--canary-for 90s` / `10m` / `1h` / `1h30m` / `300` (seconds): milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UserError(`deploy --canary-for: expected a duration such as 90s, 10m or 1h30m, got ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

function describe(split: RolloutSplit): string {
  const parts = [split.percent > 0 ? `${split.percent}% of the kamal-rollout cookie values` : undefined, split.allowlist.length ? `the values ${split.allowlist.join(', ')}` : undefined];
  return parts.filter(Boolean).join(' and ');
}

const info = (session: Session, message: string) => session.bus.emit('log', { level: 'info', message, at: Date.now() });

type RequestOf = (argv: string[]) => RunRequest;

/** `deploy --canary`: the canary run; with --canary-for, the watch and then the promote or abort. */
export async function runCanary(command: Command, ctx: CliContext, options: CanaryOptions, requestOf: RequestOf): Promise<void> {
  const split = canarySplit(options.canary, options.canaryList);
  const forMs = options.canaryFor === undefined ? undefined : parseDuration(options.canaryFor);
  const runId = newRunId();
  const started = await withSession(
    command,
    ctx.io,
    { ...options, kamalCommand: 'deploy', runId, lockMessage: options.dryRun ? undefined : canaryLockMessage(runId) },
    async (session) => {
      const { env } = session;
      const plan = canaryPlan(
        deployPlan(env.config, env.selection, { runId, command: 'deploy', version: env.version, skipPush: Boolean(options.skipPush), lockInherited: env.lockInherited }),
        env.config,
      );
      const words = ['--canary', ...(options.canary !== undefined ? [options.canary] : []), ...(options.canaryList !== undefined ? ['--canary-list', options.canaryList] : [])];
      const request = { ...requestOf(words), canary: { ...split, allowlist: [...split.allowlist] } };
      // Only a run that got to its boot (under its own lock) has canaries of its own to remove: one
      // that failed earlier, at a lock held by another canary say, must not touch that one.
      let booted = false;
      const off = session.bus.on('stage.started', (event) => (booted ||= event.stage === 'boot'));
      const output = await runRecorded({ session, plan, handlers: canaryHandlers(env, split), kamalCommand: 'deploy', request });
      off();
      if (!output.ok) {
        // Hosts that got their canary before another failed keep none: the lock is already given back.
        if (booted) await abortCanary(env, env.version, { releaseLock: false }).catch(() => undefined);
        return { failed: booted ? 'the canary was removed and the lock released' : 'nothing was changed' } as const;
      }
      info(session, `Canary ${env.version} is live beside the previous version, for ${describe(split)}; the deploy lock stays held (run ${runId}).`);
      if (forMs === undefined) info(session, 'End it with `sextant deploy --promote` (all traffic to the new version) or `sextant deploy --abort`.');
      return { version: env.version, runId };
    },
  );
  if ('failed' in started) throw new UserError(`deploy --canary failed (see above): ${started.failed}; the run is kept in .kamal/runs/`);
  if (forMs === undefined) return;

  const verdict = await withSession(command, ctx.io, { ...options, kamalCommand: 'deploy', version: started.version }, async (session) => {
    info(session, `Watching canary ${started.version} for ${options.canaryFor}; it is promoted then unless one of its containers stops being healthy.`);
    return watchCanary(session.env, started.version, forMs);
  });
  const pending = { runId: started.runId, version: started.version, lockedBy: '' };
  if (verdict.healthy) return promote(command, ctx, options, pending, requestOf);
  await abort(command, ctx, options, pending);
  throw new UserError(`Canary ${started.version} was aborted: ${verdict.problems.join('; ')}`);
}

/** `deploy --promote` / `deploy --abort`: the canary the deploy lock names. */
export async function endCanary(command: Command, ctx: CliContext, options: CanaryOptions, action: 'promote' | 'abort', requestOf: RequestOf): Promise<void> {
  const pending = await withSession(command, ctx.io, { ...options, kamalCommand: 'deploy' }, async (session, project) => {
    const { canary, details } = await findPendingCanary(session.env);
    if (canary) return canary;
    // A dry run reads no lock: it shows the commands for the version the options name.
    if (options.dryRun) return { runId: '(dry run)', version: project.version(), lockedBy: '' };
    const where = session.env.selection.primaryHost ?? 'the primary host';
    throw new UserError(
      details === undefined
        ? `deploy --${action}: no canary is pending (the deploy lock on ${where} is free). Start one with \`sextant deploy --canary 10%\`.`
        : `deploy --${action}: the deploy lock on ${where} is not a canary's:\n${details.trim()}`,
    );
  });
  if (action === 'promote') return promote(command, ctx, options, pending, requestOf);
  return abort(command, ctx, options, pending);
}

async function promote(command: Command, ctx: CliContext, options: CanaryOptions, pending: PendingCanary, requestOf: RequestOf): Promise<void> {
  const existingContainers = canaryContainers(pending.version);
  // The promote takes no lock: it finishes under the canary's, which its record names (so that
  // `sextant resume` of a killed promote knows that lock as its own).
  const lockMessage = options.dryRun ? undefined : canaryLockMessage(pending.runId);
  const ok = await withSession(command, ctx.io, { ...options, kamalCommand: 'deploy', version: pending.version, existingContainers, lockMessage }, async (session) => {
    const { env } = session;
    info(session, `Promoting canary ${pending.version} (run ${pending.runId}): it takes all the traffic`);
    const plan = promotePlan(deployPlan(env.config, env.selection, { runId: session.runId, command: 'deploy', version: pending.version, skipPush: true, lockInherited: false }));
    const request = { ...requestOf(['--promote']), canaryOf: pending.runId };
    const output = await runRecorded({ session, plan, handlers: promoteHandlers(env), kamalCommand: 'deploy', request });
    return output.ok;
  });
  if (!ok) throw new UserError('deploy --promote failed (see above); the run is kept in .kamal/runs/');
}

// A dry run's servers have the canary containers the promote or the abort expects.
const canaryContainers = (version: string) => (project: Project) => (host: string) =>
  rolesOn(project.config.roles.filter((r) => r.runsProxy), host).map((role) => `${role.containerPrefix}-${version}`);

async function abort(command: Command, ctx: CliContext, options: CanaryOptions, pending: PendingCanary): Promise<void> {
  const existingContainers = canaryContainers(pending.version);
  await withSession(command, ctx.io, { ...options, kamalCommand: 'deploy', version: pending.version, existingContainers }, async (session) => {
    info(session, `Aborting canary ${pending.version} (run ${pending.runId}): the previous version takes all the traffic again`);
    await abortCanary(session.env, pending.version, { releaseLock: true });
  });
}

export function addCanaryOptions(deploy: Command): Command {
  return deploy
    .option('--canary <share>', 'Boot the new version beside the old one on the web hosts and send it this share of the traffic (e.g. 10%) through kamal-proxy\'s rollout; then wait for --promote or --abort')
    .option('--canary-list <values>', 'Comma-separated kamal-rollout cookie values whose requests always go to the canary (alone, or with --canary)')
    .option('--canary-for <duration>', 'With --canary: watch the canary for this long (e.g. 10m), then promote it, or abort it if one of its containers became unhealthy')
    .option('--promote', 'Switch all the traffic to the pending canary\'s version and finish its deploy')
    .option('--abort', 'Stop the pending canary: the previous version takes all the traffic, the canary\'s containers are removed');
}
