import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { findRun, listRunIds, readRun, runsDirectory } from '../../engine/run-record.ts';
import { formatRunList, formatTimeline, summaryOf, timelineOf } from '../../engine/run-timeline.ts';
import { renderRunView } from '../../engine/run-view.ts';
import { UserError } from '../../errors.ts';
import { subcommand, type CliContext } from '../program.ts';

// `sextant runs`: the runs recorded in .kamal/runs/ — a list, one run's timeline, or its HTML view.
// They read files only: no config, no secrets, no server.

function located(ctx: CliContext, ref: string): string {
  const found = findRun(runsDirectory(ctx.io.cwd), ref);
  if (!found.ok) throw new UserError(found.message);
  return found.dir;
}

export function registerRunsCommands(program: Command, ctx: CliContext): void {
  const runs = subcommand(program, 'runs', ctx)
    .description('List recent deploy runs (see also: runs show RUN, runs view RUN, resume, replay)')
    .option('-n, --limit <n>', 'How many runs to list', '20')
    .action((options: { limit: string }) => {
      const runsDir = runsDirectory(ctx.io.cwd);
      const ids = listRunIds(runsDir).slice(0, Math.max(1, Number(options.limit) || 20));
      if (ids.length === 0) {
        ctx.io.out(`No runs recorded in ${runsDir}`);
        return;
      }
      ctx.io.out(formatRunList(ids.map((id) => summaryOf(resolve(runsDir, id)))));
    });

  subcommand(runs, 'show <run>', ctx)
    .description("Print a run's timeline per host: stages, retries, rollbacks and failures (RUN: an id, a prefix, or 'last')")
    .action((ref: string) => {
      ctx.io.out(formatTimeline(timelineOf(readRun(located(ctx, ref)))));
    });

  subcommand(runs, 'view <run>', ctx)
    .description('Write a self-contained HTML page of a run: its statechart path, a timeline per host, each command and its output')
    .option('-o, --out <file>', 'Where to write the page (default: .kamal/runs/<id>/view.html)')
    .action((ref: string, options: { out?: string }) => {
      const dir = located(ctx, ref);
      const out = options.out ? resolve(ctx.io.cwd, options.out) : resolve(dir, 'view.html');
      writeFileSync(out, renderRunView(timelineOf(readRun(dir)), readRun(dir)));
      ctx.io.out(`Wrote ${out}`);
    });
}
