import type { Command } from 'commander';
import * as lock from '../../commands/lock.ts';
import { connectInspector, inspectorUrl } from '../../engine/inspector.ts';
import { canaryHandlers, canaryPlan, promoteHandlers, promotePlan } from '../../engine/canary.ts';
import { stepHandlers } from '../../engine/handlers.ts';
import { deployPlan } from '../../engine/plan.ts';
import { headerFor, prefixHoldsLock, resumePrefix, resumeRecorded, resumeRefusal } from '../../engine/recorded-run.ts';
import { findRun, readRun, runsDirectory, runStatus, segments, type RunHeader } from '../../engine/run-record.ts';
import type { StepHandlers } from '../../engine/run.ts';
import type { Session } from '../../engine/session.ts';
import { UserError } from '../../errors.ts';
import { addInspectOption, globalOptions, type GlobalOptions } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';
import { serverCommandOptions, withSession, type ServerCommandOptions } from '../session.ts';

// `sextant resume [RUN]` and `sextant deploy --resume RUN`: continue a killed or failed run from its
// record. The completed steps are replayed through the machines (not run again); the rest runs
// for real, with the same request, version and run id. Nothing is touched when the run cannot be
// continued as it was started.

export function registerResumeCommand(program: Command, ctx: CliContext): void {
  addInspectOption(serverCommandOptions(subcommand(program, 'resume [run]', ctx)))
    .description("Continue a killed or failed deploy from its last completed step (RUN: an id, a prefix of one, or 'last')")
    .action((run: string | undefined, options: ResumeOptions, command: Command) => resumeRun(command, ctx, run ?? 'last', options));
}

interface ResumeOptions extends ServerCommandOptions {
  inspect?: true | string;
}

export async function resumeRun(command: Command, ctx: CliContext, ref: string, options: ResumeOptions): Promise<void> {
  const inspectAt = options.inspect === undefined ? undefined : inspectorUrl(options.inspect);
  if (options.dryRun) throw new UserError('resume has no --dry-run: replay the record offline with `sextant replay RUN`');
  const runsDir = runsDirectory(ctx.io.cwd);
  const found = findRun(runsDir, ref);
  if (!found.ok) throw new UserError(found.message);
  const record = readRun(found.dir);
  const status = runStatus(record);
  if (status === 'broken') throw new UserError(`Run ${record.runId} cannot be resumed: its record is broken (${record.broken})`);
  if (status === 'succeeded') throw new UserError(`Run ${record.runId} already succeeded; there is nothing to resume`);
  if (status === 'running') {
    const segment = segments(record).at(-1);
    throw new UserError(`Run ${record.runId} is still running (process ${segment?.pid}); stop it before resuming`);
  }
  const header = record.header as RunHeader;
  const globals = recordedGlobals(globalOptions(command), header);

  const ok = await withSession(
    command,
    ctx.io,
    { ...options, kamalCommand: header.kamalCommand, version: header.version, runId: header.runId, globals, lockMessage: header.lock?.message },
    async (session) => {
      const { env } = session;
      const planned = deployPlan(env.config, env.selection, {
        runId: header.runId,
        command: header.command,
        version: header.version,
        skipPush: header.request.skipPush,
        lockInherited: env.lockInherited,
      });
      // A canary or a promote (docs/canary.md) has a plan and proxy-role swap steps of its own.
      const { canary, canaryOf } = header.request;
      const plan = canary ? canaryPlan(planned, env.config) : canaryOf ? promotePlan(planned) : planned;
      const now = headerFor({ session, plan, kamalCommand: header.kamalCommand, request: header.request });
      const refusal = resumeRefusal(record, { header: now, plan });
      if (refusal) throw new UserError(refusal);

      const handlers = canary ? canaryHandlers(env, canary) : canaryOf ? promoteHandlers(env) : stepHandlers(env);
      const { ends } = resumePrefix(record, plan);
      if (header.lock) await takeLock(session, header, handlers, prefixHoldsLock(ends, record));

      ctx.io.out(`Resuming run ${header.runId} (${header.request.argv.join(' ')}): ${ends.length} completed steps are replayed from the record, the rest runs now`);
      const inspector = inspectAt
        ? await connectInspector(inspectAt, {
            redact: (text) => env.secrets.redact(text),
            warn: (message) => session.bus.emit('log', { level: 'warn', message, at: Date.now() }),
          })
        : undefined;
      try {
        const output = await resumeRecorded({ session, record, plan, handlers: withLockTakeover(session, header, handlers), inspect: inspector?.inspect });
        return output.ok;
      } finally {
        await inspector?.close();
      }
    },
  );
  if (!ok) throw new UserError(`resumed run ${record.runId} failed (see above); its record is in .kamal/runs/${record.runId}/`);
}

// The options the run was started with; output options (-v, -q) are this command's.
function recordedGlobals(current: GlobalOptions, header: RunHeader): GlobalOptions {
  const { request } = header;
  return {
    verbose: current.verbose,
    quiet: current.quiet,
    // A rollback's version is its argument; any other command deploys the recorded version.
    version: header.command === 'rollback' ? request.declaredVersion : header.version,
    configFile: request.configFile,
    ...(request.destination ? { destination: request.destination } : {}),
    ...(request.hosts ? { hosts: request.hosts } : {}),
    ...(request.roles ? { roles: request.roles } : {}),
    ...(request.primary ? { primary: true } : {}),
    skipHooks: request.skipHooks,
  };
}

// The lock's details, or undefined when nobody holds it. Read-only: a refusal touches nothing.
async function lockDetails(session: Session, host: string): Promise<string | undefined> {
  const result = await session.env.transport(host).exec(lock.status(session.env.config), { check: false });
  return result.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
}

const ownsLock = (details: string | undefined, header: RunHeader) => details !== undefined && details.includes(`Message: ${header.lock?.message}`);

// Before anything runs: the lock must be free or this run's own; a run whose replayed part held
// the lock (and lost it: a failed run gave it back) takes it again now.
async function takeLock(session: Session, header: RunHeader, handlers: StepHandlers, heldByPrefix: boolean): Promise<void> {
  const host = (header.lock as NonNullable<RunHeader['lock']>).host;
  const details = await lockDetails(session, host);
  if (details !== undefined && !ownsLock(details, header)) {
    throw new UserError(`Run ${header.runId} cannot be resumed: the deploy lock is held by someone else.\n${details}\nRun 'sextant lock status' for more information`);
  }
  if (details === undefined && heldByPrefix) {
    await handlers.hostStep({ host, stage: 'lock', version: header.version, attempt: 1 });
  }
}

// A lock step that runs for real in a resumed run finds the lock its first process took (its
// message names the run) and keeps it instead of reporting "Deploy lock found".
function withLockTakeover(session: Session, header: RunHeader, handlers: StepHandlers): StepHandlers {
  return {
    ...handlers,
    hostStep: async (input) => {
      if (input.stage === 'lock' && ownsLock(await lockDetails(session, input.host), header)) return;
      return handlers.hostStep(input);
    },
  };
}
