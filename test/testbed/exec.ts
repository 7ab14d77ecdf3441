// Running machine commands for the testbed: captured, with errors that say what failed and why.
import { spawn } from 'node:child_process';

export class TestbedError extends Error {
  override name = 'TestbedError';
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new TestbedError('run: empty command');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // Nothing the testbed runs should take long; a hung command fails instead of hanging its caller.
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new TestbedError(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (timedOut) {
        reject(new TestbedError(`${describe(argv)} timed out after ${timeoutMs} ms`));
      } else if (result.code !== 0 && !options.allowFailure) {
        reject(new TestbedError(`${describe(argv)} exited with ${result.code}: ${(stderr || stdout).trim()}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => undefined); // a command that ignores its input closes stdin early
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and returns trimmed stdout. */
export async function output(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  return (await run(argv, options)).stdout.trim();
}

/** Exit status 0 or not, never throws for a non-zero exit. */
export async function succeeds(argv: readonly string[], options: RunOptions = {}): Promise<boolean> {
  return (await run(argv, { ...options, allowFailure: true })).code === 0;
}

function describe(argv: readonly string[]): string {
  const shown = argv.length > 8 ? [...argv.slice(0, 8), '…'] : argv;
  return `\`${shown.join(' ')}\``;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; then throws `what`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new TestbedError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Single-quotes a word for sh. */
export function shq(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
