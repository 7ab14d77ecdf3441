// One long-lived `sh` per SSH channel that runs the commands it is sent one after another, so a
// command costs one round trip (its text out, its output and exit status back) instead of two
// (open a channel; start the command on it, its output following the exec reply). The command
// itself is the same line an exec channel would have run, `timeout -k …` watchdog included.
//
// Framing. For each command the client picks a fresh random marker M and writes
//   M[ flags] \n <command line> \n M \n
// The driver reads lines up to the second M (an EOF halfway runs nothing), runs the line in a
// subshell with stdin from /dev/null (the channel's stdin carries the frames), then writes
// `M <exit status>\n` to stdout and `M\n` to stderr. M is 32 random hex digits, so it is nowhere in
// a command's own output; what comes before it on each stream is that command's stdout and stderr.
//
// Batches. Commands that always run one after another (pull, then check the image) can be written
// together, saving a round trip per command after the first. Flags on the first line say how:
// `c` — a non-zero exit of this command stops the rest of its batch; `o` — so does any output of this
// command (a probe that finds something: its output is passed on in one piece, with one final
// newline); `+` — this frame continues the
// batch before it, and is skipped (answered `M -`) once a `c` command of that batch has failed. A
// frame without `+` starts afresh, so a failed batch never holds back the next command. A command
// that ran out of time (exit 124 or 137, what `timeout -k` gives; the client gives up on it too)
// stops its batch whatever its flags: nothing queued behind it runs.
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import type { ExecResult } from './transport.ts';

export const SHELL_READY = 'sextant-shell-ready';
const READY_LINE = new RegExp(`${SHELL_READY} (files|-)\n`);

// No single quote inside: the whole script goes between single quotes for the login shell. The
// subshell keeps a syntax error (fatal to a non-interactive sh in `eval`) from ending the driver.
const DRIVER = [
  // The ready line says whether the server can take files as frames (file-write.ts needs base64).
  `if command -v base64 >/dev/null 2>&1; then printf "%s files\\n" ${SHELL_READY}; else printf "%s -\\n" ${SHELL_READY}; fi`,
  's=0',
  'while IFS= read -r h; do',
  '  m=${h%% *}',
  '  c=',
  '  while :; do',
  '    IFS= read -r l || exit 0',
  '    [ "$l" = "$m" ] && break',
  '    c="$c$l',
  '"',
  '  done',
  '  case "$h" in *" +"*) ;; *) s=0 ;; esac',
  '  if [ "$s" = 1 ]; then',
  '    printf "%s -\\n" "$m"',
  '  else',
  '    case "$h" in',
  '      *" "*o*) o=$( (eval "$c") </dev/null ); r=$?; [ -z "$o" ] || { printf "%s\\n" "$o"; s=1; } ;;',
  '      *) (eval "$c") </dev/null; r=$? ;;',
  '    esac',
  '    case "$h" in *" "*c*) [ "$r" = 0 ] || s=1 ;; esac',
  '    case "$r" in 124|137) s=1 ;; esac',
  '    printf "%s %s\\n" "$m" "$r"',
  '  fi',
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

export interface FrameFlags {
  // A non-zero exit stops the rest of the batch.
  stopsBatch?: boolean;
  // Continues the batch written before it (skipped once that batch was stopped).
  continuesBatch?: boolean;
  // Any output stops the rest of the batch (the output comes back whole, with one final newline).
  stopsOnOutput?: boolean;
}

export function frame(marker: string, line: string, flags: FrameFlags = {}): string {
  const letters = `${flags.continuesBatch ? '+' : ''}${flags.stopsBatch ? 'c' : ''}${flags.stopsOnOutput ? 'o' : ''}`;
  return `${marker}${letters ? ` ${letters}` : ''}\n${line}\n${marker}\n`;
}

// How much of the end of `text` could be the start of `marker` (held back until more arrives).
function heldBack(text: string, marker: string): number {
  for (let k = Math.min(text.length, marker.length - 1); k > 0; k--) if (text.endsWith(marker.slice(0, k))) return k;
  return 0;
}

/**
 * One stream (stdout or stderr) of one framed command: passes on the command's output as it comes,
 * and sees the end marker (on stdout followed by ` <exit status>\n`, or ` -\n` for a skipped frame).
 */
export class FramedStream {
  private buffer = '';
  private text = '';
  done = false;
  exitCode: number | undefined;
  skipped = false;

  constructor(
    private readonly marker: string,
    private readonly withStatus: boolean,
    private readonly onText: (text: string) => void,
  ) {}

  get output(): string {
    return this.text;
  }

  /** Takes a chunk; returns what came after this command's end (the next frame's output). */
  push(chunk: string): string {
    if (this.done) return chunk;
    this.buffer += chunk;
    const at = this.buffer.indexOf(this.marker);
    if (at < 0) {
      this.pass(this.buffer.length - heldBack(this.buffer, this.marker));
      return '';
    }
    const rest = this.buffer.slice(at + this.marker.length);
    const newline = rest.indexOf('\n');
    this.pass(at);
    if (newline < 0) return '';
    if (this.withStatus) {
      const status = rest.slice(0, newline);
      const code = /^ (\d+)$/.exec(status);
      this.exitCode = code ? Number(code[1]) : undefined;
      this.skipped = status === ' -';
    }
    this.buffer = '';
    this.done = true;
    return rest.slice(newline + 1);
  }

  private pass(length: number): void {
    if (length <= 0) return;
    const out = this.buffer.slice(0, length);
    this.buffer = this.buffer.slice(length);
    this.text += out;
    this.onText(out);
  }
}

/** One command of a batch: its line, whether its failure stops the rest, where its output goes. */
export interface BatchCommand {
  line: string;
  stopsBatch: boolean;
  stopsOnOutput?: boolean;
  onOutput: (stream: 'stdout' | 'stderr', text: string) => void;
}

// What a frame of a batch came back as: its result, or skipped (an earlier command stopped it).
export type FrameResult = ExecResult | 'skipped';

// Each stream passes on its frame's output as it comes: in order within the stream, but a frame's
// stdout may come before the stderr of the one before it (the caller orders them if it must).
interface Queued {
  stdout: FramedStream;
  stderr: FramedStream;
  resolve: (result: FrameResult) => void;
  reject: (error: Error) => void;
}

/** A driver on its own channel; runs its frames one after another. */
export class RemoteShell {
  private queue: Queued[] = [];
  // Per stream, how many frames at the front of the queue that stream has finished.
  private finished = { stdout: 0, stderr: 0 };
  private closed = false;
  private readonly out = new StringDecoder('utf8');
  private readonly err = new StringDecoder('utf8');

  constructor(
    private readonly channel: ClientChannel,
    private readonly onClose: (shell: RemoteShell) => void,
    // The server has what a file written as a frame needs (src/commands/file-write.ts).
    readonly writesFiles = false,
  ) {
    channel.on('data', (data: Buffer) => this.received('stdout', this.out.write(data)));
    channel.stderr.on('data', (data: Buffer) => this.received('stderr', this.err.write(data)));
    channel.on('close', () => {
      this.closed = true;
      const queued = this.queue;
      this.queue = [];
      for (const q of queued) q.reject(new Error('connection lost before the command finished'));
      this.onClose(this);
    });
  }

  get busy(): boolean {
    return this.queue.length > 0 || this.closed;
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
        const ready = READY_LINE.exec(seen);
        if (!ready) return;
        channel.off('data', onData);
        channel.off('close', onEarlyClose);
        resolve(new RemoteShell(channel, onClose, ready[1] === 'files'));
      };
      const onEarlyClose = () => resolve(undefined);
      channel.on('data', onData);
      channel.once('close', onEarlyClose);
      // What the login shell may print on stderr before the driver starts is of no interest.
      channel.stderr.resume();
    });
  }

  run(line: string, onOutput: (stream: 'stdout' | 'stderr', text: string) => void): Promise<ExecResult> {
    const [result] = this.runBatch([{ line, stopsBatch: false, onOutput }]);
    // A batch of one is never skipped.
    return (result as Promise<FrameResult>).then((r) => r as ExecResult);
  }

  /**
   * Writes the commands as one batch, all at once; one promise per command, settled in order.
   * After a command with `stopsBatch` fails, or one with `stopsOnOutput` prints anything, the ones
   * after it are answered 'skipped'.
   */
  runBatch(commands: BatchCommand[]): Promise<FrameResult>[] {
    if (this.busy) return commands.map(() => Promise.reject(new Error('remote shell busy')));
    let text = '';
    const promises = commands.map((command, index) => {
      const marker = newMarker();
      text += frame(marker, command.line, { stopsBatch: command.stopsBatch, stopsOnOutput: command.stopsOnOutput, continuesBatch: index > 0 });
      return new Promise<FrameResult>((resolve, reject) => {
        this.queue.push({
          resolve,
          reject,
          stdout: new FramedStream(marker, true, (out) => command.onOutput('stdout', out)),
          stderr: new FramedStream(marker, false, (out) => command.onOutput('stderr', out)),
        });
      });
    });
    this.channel.write(text);
    return promises;
  }

  close(): void {
    this.channel.close();
  }

  private received(stream: 'stdout' | 'stderr', text: string): void {
    let rest = text;
    while (rest) {
      const queued = this.queue[this.finished[stream]];
      if (!queued) return;
      rest = queued[stream].push(rest);
      if (queued[stream].done) this.finished[stream]++;
    }
    this.settleFinished();
  }

  // Frames that both streams have finished are answered, front first.
  private settleFinished(): void {
    while (this.finished.stdout > 0 && this.finished.stderr > 0) {
      const queued = this.queue.shift() as Queued;
      this.finished.stdout--;
      this.finished.stderr--;
      const { exitCode, skipped } = queued.stdout;
      if (skipped) queued.resolve('skipped');
      else if (exitCode === undefined) queued.reject(new Error('remote shell answered without an exit status'));
      else queued.resolve({ exitCode, stdout: queued.stdout.output, stderr: queued.stderr.output });
    }
  }
}
