import { createLogUpdate } from 'log-update';
import type { EngineBus } from '../../engine/events.ts';

interface HostLine {
  state: string;
  retries: number;
  startedAt: number;
  finishedAt?: number;
  failed?: string;
  rolledBack?: boolean;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

// A live view: the current stage, then one line per host with its step, retries and time.
export function attachTtyRenderer(bus: EngineBus, stream: NodeJS.WriteStream): () => void {
  const update = createLogUpdate(stream, { showCursor: true });
  const hosts = new Map<string, HostLine>();
  let stage = 'starting';
  let frame = 0;
  const started = Date.now();
  const draw = () => {
    const lines = [`${SPINNER[frame++ % SPINNER.length]} ${stage}  ${((Date.now() - started) / 1000).toFixed(1)}s`];
    for (const [host, line] of hosts) {
      const mark = line.failed ? '✖' : line.state === 'idle' ? '·' : '›';
      const retries = line.retries ? `  retries ${line.retries}` : '';
      const rollback = line.rolledBack ? '  rolled back' : '';
      const elapsed = `${(((line.finishedAt ?? Date.now()) - line.startedAt) / 1000).toFixed(1)}s`;
      lines.push(`  ${mark} ${host.padEnd(18)} ${line.state.padEnd(34)} ${elapsed.padStart(6)}${retries}${rollback}`);
    }
    update(lines.join('\n'));
  };
  const timer = setInterval(draw, 100);
  const host = (name: string): HostLine => {
    let line = hosts.get(name);
    if (!line) hosts.set(name, (line = { state: 'waiting', retries: 0, startedAt: Date.now() }));
    return line;
  };
  const offs = [
    bus.on('run.started', (e) => e.hosts.forEach(host)),
    bus.on('stage.started', (e) => (stage = e.stage)),
    bus.on('host.state', (e) => {
      const line = host(e.host);
      line.state = e.state;
      line.finishedAt = e.state === 'idle' ? Date.now() : undefined;
    }),
    bus.on('retry', (e) => host(e.host).retries++),
    bus.on('rollback', (e) => (host(e.host).rolledBack = true)),
    bus.on('run.finished', (e) => {
      clearInterval(timer);
      for (const f of e.failures) if (f.host) host(f.host).failed = f.message;
      const lines = [`${e.ok ? '✔ Deployed' : '✖ Failed'} in ${(e.durationMs / 1000).toFixed(1)}s`];
      for (const [name, line] of hosts) {
        const elapsed = `${(((line.finishedAt ?? Date.now()) - line.startedAt) / 1000).toFixed(1)}s`;
        lines.push(`  ${line.failed ? '✖' : '✔'} ${name.padEnd(18)} ${elapsed.padStart(6)}${line.retries ? `  retries ${line.retries}` : ''}${line.rolledBack ? '  rolled back' : ''}${line.failed ? `  ${line.failed}` : ''}`);
      }
      update(lines.join('\n'));
      update.done();
    }),
  ];
  return () => {
    clearInterval(timer);
    offs.forEach((off) => off());
  };
}
