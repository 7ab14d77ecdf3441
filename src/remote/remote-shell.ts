// One long-lived `sh` per SSH channel that runs the commands it is sent one after another, so a
// command costs one round trip (its text out, its output and exit status back) instead of two
// (open a channel; start the command on it, its output following the exec reply). The command
// itself is the same line an exec channel would have run, `timeout -k …` watchdog included.
//
// Framing. For each command the client picks a fresh random marker M and writes
//   M \n <command line> \n M \n
// The driver reads lines up to the second M (an EOF halfway runs nothing), runs the line in a
// subshell with stdin from /dev/null (the channel's stdin carries the frames), then writes
// `M <exit status>\n` to stdout and `M\n` to stderr. M is 32 random hex digits, so it is nowhere in
// a command's own output; what comes before it on each stream is that command's stdout and stderr.
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { ExecResult } from './transport.ts';

export const SHELL_READY = 'sextant-shell-ready';

// No single quote inside: the whole script goes between single quotes for the login shell. The
// subshell keeps a syntax error (fatal to a non-interactive sh in `eval`) from ending the driver.
const DRIVER = [
  `printf "%s\\n" ${SHELL_READY}`,
  'while IFS= read -r m; do',
  '  c=',
  '  while :; do',
  '    IFS= read -r l || exit 0',
  '    [ "$l" = "$m" ] && break',
  '    c="$c$l',
  '"',
  '  done',
  '  (eval "$c") </dev/null',
  '  r=$?',
  '  printf "%s %s\\n" "$m" "$r"',
  '  printf "%s\\n" "$m" >&2',
  'done',
].join('\n');

/** What the SSH exec request runs: the driver under `sh`, whatever the user's login shell is. */
export function driverCommand(): string {
  return `exec sh -c '${DRIVER}'`;
}

export function newMarker(): string {
  return `sx${randomBytes(16).toString('hex')}`;
}

export function frame(marker: string, line: string): string {
  return `${marker}\n${line}\n${marker}\n`;
}

// How much of the end of `text` could be the start of `marker` (held back until more arrives).
function heldBack(text: string, marker: string): number {
  for (let k = Math.min(text.length, marker.length - 1); k > 0; k--) if (text.endsWith(marker.slice(0, k))) return k;
  return 0;
}

/**
 * One stream (stdout or stderr) of one framed command: passes on the command's output as it comes,
 * and sees the end marker (on stdout followed by ` <exit status>\n`).
 */
export class FramedStream {
  private buffer = '';
  private text = '';
  done = false;
  exitCode: number | undefined;

  constructor(
    private readonly marker: string,
    private readonly withStatus: boolean,
    private readonly onText: (text: string) => void,
  ) {}

  get output(): string {
    return this.text;
  }

  push(chunk: string): void {
    if (this.done) return;
    this.buffer += chunk;
    const at = this.buffer.indexOf(this.marker);
    if (at < 0) {
      this.pass(this.buffer.length - heldBack(this.buffer, this.marker));
      return;
    }
    const rest = this.buffer.slice(at + this.marker.length);
    const newline = rest.indexOf('\n');
    if (newline < 0) {
      this.pass(at);
      return;
    }
    this.pass(at);
    if (this.withStatus) {
      const status = /^ (\d+)$/.exec(rest.slice(0, newline));
      this.exitCode = status ? Number(status[1]) : undefined;
    }
    this.buffer = '';
    this.done = true;
  }

  private pass(length: number): void {
    if (length <= 0) return;
    const out = this.buffer.slice(0, length);
    this.buffer = this.buffer.slice(length);
    this.text += out;
    this.onText(out);
  }
}

interface Running {
  stdout: FramedStream;
  stderr: FramedStream;
  resolve: (result: ExecResult) => void;
  reject: (error: Error) => void;
}

/** A driver on its own channel; runs one command at a time. */
export class RemoteShell {
  private running: Running | undefined;
  private closed = false;
  private readonly out = new StringDecoder('utf8');
  private readonly err = new StringDecoder('utf8');

  constructor(
    private readonly channel: ClientChannel,
    private readonly onClose: (shell: RemoteShell) => void,
  ) {
    channel.on('data', (data: Buffer) => this.received('stdout', this.out.write(data)));
    channel.stderr.on('data', (data: Buffer) => this.received('stderr', this.err.write(data)));
    channel.on('close', () => {
      this.closed = true;
      const running = this.running;
      this.running = undefined;
      running?.reject(new Error('connection lost before the command finished'));
      this.onClose(this);
    });
  }

  get busy(): boolean {
    return this.running !== undefined || this.closed;
  }

  /**
   * Waits for the driver's ready line on a channel whose exec started it: a server where the
   * driver cannot run (no `sh`, a restricted shell) closes the channel first and gets undefined.
   */
  static start(channel: ClientChannel, onClose: (shell: RemoteShell) => void): Promise<RemoteShell | undefined> {
    return new Promise((resolve) => {
      let seen = '';
      const decoder = new StringDecoder('utf8');
      const onData = (data: Buffer) => {
        seen += decoder.write(data);
        if (!seen.includes(`${SHELL_READY}\n`)) return;
        channel.off('data', onData);
        channel.off('close', onEarlyClose);
        resolve(new RemoteShell(channel, onClose));
      };
      const onEarlyClose = () => resolve(undefined);
      channel.on('data', onData);
      channel.once('close', onEarlyClose);
      // What the login shell may print on stderr before the driver starts is of no interest.
      channel.stderr.resume();
    });
  }

  run(line: string, onOutput: (stream: 'stdout' | 'stderr', text: string) => void): Promise<ExecResult> {
    if (this.busy) return Promise.reject(new Error('remote shell busy'));
    const marker = newMarker();
    return new Promise<ExecResult>((resolve, reject) => {
      this.running = {
        stdout: new FramedStream(marker, true, (text) => onOutput('stdout', text)),
        stderr: new FramedStream(marker, false, (text) => onOutput('stderr', text)),
        resolve,
        reject,
      };
      this.channel.write(frame(marker, line));
    });
  }

  close(): void {
    this.channel.close();
  }

  private received(stream: 'stdout' | 'stderr', text: string): void {
    const running = this.running;
    if (!running) return;
    running[stream].push(text);
    if (!running.stdout.done || !running.stderr.done) return;
    this.running = undefined;
    const { exitCode } = running.stdout;
    if (exitCode === undefined) running.reject(new Error('remote shell answered without an exit status'));
    else running.resolve({ exitCode, stdout: running.stdout.output, stderr: running.stderr.output });
  }
}
