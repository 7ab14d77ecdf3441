// Where a CLI run writes and what it runs in; tests pass their own to run the CLI in-process.
export interface CliIO {
  // A line to stdout / stderr (a newline is added where it is missing).
  out(text: string): void;
  err(text: string): void;
  // stdout exactly as given (`app exec --raw`).
  write(text: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

export function processIO(): CliIO {
  // `sextant … | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    write: (text) => process.stdout.write(text),
    cwd: process.cwd(),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
  };
}

export interface CapturedIO extends CliIO {
  stdout: string;
  stderr: string;
}

export function captureIO(cwd: string, env: Record<string, string | undefined> = {}): CapturedIO {
  const io: CapturedIO = {
    stdout: '',
    stderr: '',
    out: (text) => (io.stdout += text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => (io.stderr += text.endsWith('\n') ? text : `${text}\n`),
    write: (text) => (io.stdout += text),
    cwd,
    env,
    isTTY: false,
  };
  return io;
}
