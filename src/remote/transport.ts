import type { Command } from '../commands/command.ts';

// How the engine talks to one server (or to the local machine). Commands arrive as `Command`
// values; each transport renders them with `src/commands/shell.ts`, the one place that quotes.
export interface ExecOptions {
  // A non-zero exit throws CommandFailed unless this is false (Kamal's raise_on_non_zero_exit).
  check?: boolean;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// One command of a sequence (see `Transport.execSequence`).
export interface SequencedCommand extends ExecOptions {
  command: Command;
  // Called once this command is on its way and before the next one is: after it has ended when
  // the commands go one at a time, right after the whole sequence is sent otherwise. The sequence
  // waits for what it returns before it ends (an audit line sent in between, say).
  then?: () => Promise<unknown> | void;
  // Called once this command has ended and passed its check, before the next one's answer is
  // looked at: how a caller tells a failure after it from a failure of it.
  ended?: (result: ExecResult) => void;
  // A probe whose finding changes what comes next: if it prints anything, the sequence ends there,
  // without failing, and the caller gets the answers up to and including it.
  stopsOnOutput?: boolean;
}

// A file written as one step of a sequence, exactly as `upload` writes it; a failure stops the
// sequence. Its result in the sequence's answers is an empty success.
export interface SequencedUpload {
  upload: { path: string; content: string; mode: number };
}

export type SequencedStep = SequencedCommand | SequencedUpload;

export const isUpload = (step: SequencedStep): step is SequencedUpload => 'upload' in step;

export interface Transport {
  readonly host: string;
  exec(command: Command, options?: ExecOptions): Promise<ExecResult>;
  // Runs the commands (and uploads) one after another, each only once the one before it has ended, exactly as
  // `exec` and `upload` one at a time would (the same events, the same CommandFailed from the first failure
  // that is checked, nothing after it run), but may send them all at once. Optional: callers go
  // through `inSequence` (sequence.ts), which falls back to `exec`.
  execSequence?(commands: SequencedStep[]): Promise<ExecResult[]>;
  // Writes a file on the host with the given mode (Kamal uploads env files with 0600).
  upload(remotePath: string, content: string, mode: number): Promise<void>;
  // Creates `<remoteParent>/<name>` and writes each file into it, all with `mode`, as a recursive
  // copy of a local folder called `name` (error pages: 0700).
  uploadDirectory(remoteParent: string, name: string, files: Record<string, string>, mode: number): Promise<void>;
  close(): Promise<void>;
}

// Lets the engine see every command a transport runs, for events and logs.
export interface CommandObserver {
  start(host: string, display: string): number;
  output(id: number, host: string, stream: 'stdout' | 'stderr', text: string): void;
  end(id: number, host: string, exitCode: number): void;
}

// The operator's machine: commands may carry extra environment and a working directory.
export interface LocalExecOptions extends ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
}

export interface LocalRunner extends Transport {
  exec(command: Command, options?: LocalExecOptions): Promise<ExecResult>;
}
