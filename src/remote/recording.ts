import type { Command } from '../commands/command.ts';
import { render, renderForDisplay } from '../commands/shell.ts';
import type { ExecOptions, ExecResult, LocalRunner } from './transport.ts';

// A dry run's servers. Nothing is contacted: each command is recorded as `[host] line` (secrets
// redacted) and answered from a small simulated state, so the plan printed is the path a real run
// would take. The state follows the conformance recordings' assumptions:
//   - a container exists once this run has `docker run … --name N` or started it (or it is the
//     rollback target, which exists stopped on every app host);
//   - the running-version probe answers the newest container of that prefix this run ran/started;
//   - health probes answer `running`; everything else succeeds with no output.
export const FAKE_CONTAINER_ID = '0123456789ab';

interface HostState {
  containers: Set<string>;
  started: string[]; // names in the order this run ran or started them
}

export class SimulatedServers {
  private readonly hosts = new Map<string, HostState>();
  readonly lines: string[] = [];

  constructor(
    private readonly existing: (host: string) => string[] = () => [],
    private readonly onLine: (line: string) => void = () => {},
  ) {}

  record(host: string, line: string): void {
    const entry = `[${host}] ${line}`;
    this.lines.push(entry);
    this.onLine(entry);
  }

  state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = { containers: new Set(this.existing(host)), started: [] };
      this.hosts.set(host, state);
    }
    return state;
  }

  answer(host: string, line: string): string {
    const state = this.state(host);
    const run = /docker run .*--name (\S+)/.exec(line);
    if (run) this.start(state, run[1] as string);
    const started = /^docker (?:container )?start (\S+)$/.exec(line);
    if (started && !line.includes('kamal-proxy')) this.start(state, started[1] as string);
    const renamed = /^docker rename (\S+) (\S+)$/.exec(line);
    if (renamed) {
      state.containers.delete(renamed[1] as string);
      state.containers.add(renamed[2] as string);
    }

    if (/--format '\{\{if \.State\.Health\}\}/.test(line) || line.includes('.State.Health.Status')) return 'running\n';
    const byName = /^docker container ls --all --filter name=\^(\S+)\$ --quiet$/.exec(line);
    if (byName) return state.containers.has(byName[1] as string) ? `${FAKE_CONTAINER_ID}\n` : '';
    const probe = /docker ps --latest .*\| head -1 \| while read line; do echo \$\{line#(\S+)\}; done$/.exec(line);
    if (probe) {
      const prefix = probe[1] as string;
      const newest = [...state.started].reverse().find((name) => name.startsWith(prefix));
      if (!newest) return '';
      return line.includes("--format '\\''{{.Names}}'\\''") ? `${newest.slice(prefix.length)}\n` : `${FAKE_CONTAINER_ID}\n`;
    }
    return '';
  }

  private start(state: HostState, name: string): void {
    state.containers.add(name);
    state.started.push(name);
  }
}

export class RecordingTransport implements LocalRunner {
  constructor(
    readonly host: string,
    private readonly servers: SimulatedServers,
  ) {}

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    this.servers.record(this.host, renderForDisplay(command));
    const stdout = this.servers.answer(this.host, render(command));
    if (stdout) options.onOutput?.('stdout', stdout);
    return { exitCode: 0, stdout, stderr: '' };
  }

  async upload(remotePath: string, content: string, mode: number): Promise<void> {
    const lines = content.split('\n').filter((l) => l).length;
    this.servers.record(this.host, `upload ${remotePath} (mode ${mode.toString(8).padStart(4, '0')}, ${lines} line${lines === 1 ? '' : 's'})`);
  }

  async uploadDirectory(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void> {
    const count = Object.keys(files).length;
    this.servers.record(this.host, `upload ${name}/ -> ${remoteParent} (mode ${mode.toString(8).padStart(4, '0')}, ${count} file${count === 1 ? '' : 's'})`);
  }

  async close(): Promise<void> {}
}
