import { Option, type Command } from 'commander';
import { connectInspector, inspectorUrl } from '../../engine/inspector.ts';
import { findRun, readRun, runsDirectory } from '../../engine/run-record.ts';
import { Divergence, replayRun } from '../../engine/replay.ts';
import { duration } from '../../engine/run-timeline.ts';
import { UserError } from '../../errors.ts';
import { addInspectOption } from '../options.ts';
import { subcommand, type CliContext } from '../program.ts';

// `sextant replay RUN`: the recorded run re-enacted offline through the same machines, each step
// answered with its recorded result. No config, no secrets, no server, no SSH.

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--speed expects a positive number, got '${value}'`);
  return n;
};

export function registerReplayCommand(program: Command, ctx: CliContext): void {
  addInspectOption(subcommand(program, 'replay <run>', ctx))
    .description("Re-enact a recorded run offline through the deployment machines and check it reaches the same states and outcome (RUN: an id, a prefix, or 'last')")
    .addOption(new Option('--speed <n>', 'Pace the replay by the recorded timings, N times as fast (1 = as recorded)').argParser(positive))
    .action(async (ref: string, options: { speed?: number; inspect?: true | string }) => {
      const found = findRun(runsDirectory(ctx.io.cwd), ref);
      if (!found.ok) throw new UserError(found.message);
      const record = readRun(found.dir);
      // The record is redacted already; what it holds is all the inspector gets.
      const inspector =
        options.inspect === undefined ? undefined : await connectInspector(inspectorUrl(options.inspect), { redact: (text) => text, warn: (message) => ctx.io.err(`WARNING: ${message}`) });
      const t0 = record.header?.startedAt ?? 0;
      let result;
      try {
        result = await replayRun(record, {
          speed: options.speed,
          inspect: inspector?.inspect,
          onStep: options.speed
            ? (end) => ctx.io.out(`  +${duration(end.at - t0)}  ${end.key.replace(/#\d+$/, '')}  ${end.ok ? 'ok' : `failed (${end.error.kind}): ${end.error.message.split('\n')[0]}`}`)
            : undefined,
        });
      } catch (error) {
        if (error instanceof Divergence) throw new UserError(error.message);
        throw error;
      } finally {
        await inspector?.close();
      }
      const outcome = (o: { ok: boolean; failures: Array<{ host?: string; role?: string; stage: string; message: string }> } | undefined) =>
        !o ? 'none' : o.ok ? 'succeeded' : `failed (${o.failures.map((f) => `${f.host ?? 'local'}${f.role ? ` ${f.role}` : ''} ${f.stage}: ${f.message.split('\n')[0]}`).join('; ')})`;
      if (!result.same) {
        throw new UserError(`Replay of run ${record.runId} diverged from its record: ${result.divergence}`);
      }
      ctx.io.out(
        result.statesCompared
          ? `Replayed run ${record.runId} offline: ${result.steps} recorded step results through the machines, ${result.states} states in the same order as recorded.`
          : `Replayed run ${record.runId} offline: ${result.steps} recorded step results through the machines, asked for in the recorded order. The run was recorded by other machines (${record.header?.machineVersion}), so their states were not compared.`,
      );
      if (result.interrupted) ctx.io.out(`The record ends while ${result.interrupted.join(', ')} ran (the run was interrupted there): resumable.`);
      else ctx.io.out(`Same outcome: ${outcome(result.replayed)}.`);
    });
}
