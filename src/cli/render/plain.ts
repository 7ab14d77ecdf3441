import type { EngineBus } from '../../engine/events.ts';

// Line-by-line log for pipes and CI: commands as they run, stages, retries, rollbacks, a summary.
export function attachPlainRenderer(bus: EngineBus, write: (line: string) => void, options: { verbose?: boolean; quiet?: boolean } = {}): () => void {
  const offs = [
    bus.on('stage.started', (e) => !options.quiet && write(`== ${e.stage}`)),
    bus.on('command.start', (e) => !options.quiet && write(`[${e.host}] $ ${e.line}`)),
    // One chunk may hold several lines: each keeps its host prefix.
    bus.on('command.output', (e) => {
      if (options.verbose) for (const line of e.text.trimEnd().split(/\r?\n/)) write(`[${e.host}] ${line}`);
    }),
    bus.on('command.end', (e) => e.exitCode !== 0 && options.verbose && write(`[${e.host}] exit ${e.exitCode}`)),
    bus.on('retry', (e) => write(`[${e.host}] ${e.step}: transient failure, try ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)}s`)),
    bus.on('rollback', (e) => write(`[${e.host}] ${e.role}: rolling back (${e.reason})`)),
    bus.on('log', (e) => (e.level !== 'info' || !options.quiet) && write(`${e.host ? `[${e.host}] ` : ''}${e.message}`)),
    bus.on('run.finished', (e) => {
      for (const f of e.failures) write(`✖ ${f.host ?? 'local'}${f.role ? ` ${f.role}` : ''} ${f.stage}: ${f.message}`);
      write(`${e.ok ? '✔ Finished' : '✖ Failed'} in ${(e.durationMs / 1000).toFixed(1)}s`);
    }),
  ];
  return () => offs.forEach((off) => off());
}

export function attachJsonRenderer(bus: EngineBus, write: (line: string) => void): () => void {
  return bus.onAny((event) => write(JSON.stringify(event)));
}
