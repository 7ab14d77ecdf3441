import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from '../commands/command.ts';
import { render, renderForDisplay } from '../commands/shell.ts';
import { classifyCommandFailure, CommandFailed } from './failures.ts';
import type { CommandObserver, ExecResult, LocalExecOptions, LocalRunner } from './transport.ts';
import { DEFAULT_DEADLINES, deadlineKind, deadlineSeconds, KILL_AFTER_SECONDS, StepTimedOut, type Deadlines } from './watchdog.ts';

export interface LocalOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  observer?: CommandObserver;
  deadlines?: Deadlines;
}

// Process groups of commands still running, killed if Sextant itself exits first.
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

// Runs commands on the operator's machine (build, registry login, hooks) through `sh -c`, as
// Kamal's local runner does, so `2>&1` and pipes in the line mean what they say.
export class LocalTransport implements LocalRunner {
  readonly host = 'local';

  constructor(private readonly options: LocalOptions) {}

  // `env` adds variables for this one command (hook variables, build secrets).
  async exec(command: Command, options: LocalExecOptions = {}): Promise<ExecResult> {
    const line = render(command);
    const display = renderForDisplay(command);
    const observer = this.options.observer;
    const id = observer?.start(this.host, display) ?? 0;
    if (line.trim() === '/usr/bin/env') {
      // SSHKit's empty command (see emptyBuilderCommand): running it would only dump this
      // machine's environment into the logs, so it succeeds without running.
      observer?.end(id, this.host, 0);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    // Hooks get the KAMAL_* variables; the watchdog gives them their own deadline.
    const kind = deadlineKind(command, line, 'local', options.env?.KAMAL_RECORDED_AT !== undefined);
    const seconds = deadlineSeconds(kind, this.options.deadlines ?? DEFAULT_DEADLINES);
    let timedOut = false;
    const result = await new Promise<ExecResult>((done, fail) => {
      // Its own process group when it has a deadline, so that the whole pipeline can be killed.
      const child = spawn('/bin/sh', ['-c', line], {
        cwd: options.cwd ?? this.options.cwd,
        env: { ...this.options.env, ...options.env } as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: seconds > 0,
      });
      const pid = child.pid;
      let watchdog: NodeJS.Timeout | undefined;
      if (seconds > 0 && pid !== undefined) {
        running.add(pid);
        watchdog = setTimeout(() => {
          timedOut = true;
          killGroup(pid, 'SIGTERM');
          setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_AFTER_SECONDS * 1000).unref();
        }, seconds * 1000);
        watchdog.unref();
      }
      child.on('close', () => {
        clearTimeout(watchdog);
        if (pid !== undefined) running.delete(pid);
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (data: Buffer) => {
        stdout += data;
        options.onOutput?.('stdout', data.toString());
        observer?.output(id, this.host, 'stdout', data.toString());
      });
      child.stderr.on('data', (data: Buffer) => {
        stderr += data;
        options.onOutput?.('stderr', data.toString());
        observer?.output(id, this.host, 'stderr', data.toString());
      });
      child.on('error', fail);
      child.on('close', (code) => done({ exitCode: code ?? 1, stdout, stderr }));
    });
    observer?.end(id, this.host, result.exitCode);
    if (timedOut) throw new StepTimedOut(this.host, display, kind, seconds);
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandFailed(this.host, display, result.exitCode, result.stdout, result.stderr, classifyCommandFailure(result.stderr, result.stdout));
    }
    return result;
  }

  async upload(path: string, content: string, mode: number): Promise<void> {
    const target = resolve(this.options.cwd, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }

  async uploadDirectory(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void> {
    for (const [file, content] of Object.entries(files)) await this.upload(`${remoteParent}/${name}/${file}`, content, mode);
  }

  async close(): Promise<void> {}
}
