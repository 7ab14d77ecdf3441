// The two ways the secrets layer starts programs on the operator's machine: a `$(…)` from a
// secrets file goes through `/bin/sh -c` (as Ruby backticks do), a vault CLI is started directly
// from an argv array (no shell, so no quoting of secret names or sessions is involved).
import { spawn } from 'node:child_process';
import type { CommandResult, Env } from './dotenv.ts';

export interface ProcessOptions {
  cwd: string;
  env: Env;
  /** Lets the program prompt the user: its stderr goes to the terminal instead of being captured. */
  interactive?: boolean;
}

/** Runs `argv` without a shell. stdin is inherited (vault CLIs may prompt); stdout is captured. */
export function runProcess(argv: readonly string[], options: ProcessOptions): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runProcess needs a program');
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: definedOnly(options.env),
      stdio: ['inherit', 'pipe', options.interactive ? 'inherit' : 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      finish({ exitCode: missing ? 127 : 126, stdout, stderr: missing ? `${file}: command not found` : error.message });
    });
    child.on('close', (code, signal) => finish({ exitCode: code, signal, stdout, stderr }));
  });
}

/** Runs a `$(…)` command from a secrets file through `/bin/sh -c` in `cwd`. */
export function runShellCommand(command: string, options: ProcessOptions): Promise<CommandResult> {
  return runProcess(['/bin/sh', '-c', command], options);
}

export function definedOnly(env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
