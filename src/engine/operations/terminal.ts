import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { argv, shellCode, type Command } from '../../commands/command.ts';
import { render, renderForDisplay } from '../../commands/shell.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import type { HostOutput } from './runtime.ts';

// The operator's terminal: host-by-host output, confirmation questions and interactive commands
// (ssh sessions) that take over the terminal.

// Kamal's `puts_by_host`: a heading naming the host, the output (stripped, as SSHKit's capture
// returns it), a blank line.
export function formatByHost({ host, output }: HostOutput, type = 'App'): string {
  return `${type} Host: ${host}\n${output.trim()}\n\n`;
}

// Outputs for the terminal (Kamal's layout) or, with `--output json`, one JSON object a line.
export function writeHostOutputs(write: (text: string) => void, outputs: readonly HostOutput[], options: { type?: string; json?: boolean } = {}): void {
  for (const output of outputs) {
    write(options.json ? JSON.stringify({ type: 'output', kind: options.type ?? 'App', host: output.host, output: output.output.trim() }) : formatByHost(output, options.type));
  }
}

export interface ConfirmRequest {
  question: string;
  // `-y/--confirmed`
  confirmed: boolean;
  // Whether a person can answer (stdin and stdout are terminals).
  interactive: boolean;
  ask?: (question: string) => Promise<string>;
}

// True to go ahead. Without a terminal there is no one to ask: refuse rather than guess.
export async function confirm(request: ConfirmRequest): Promise<boolean> {
  if (request.confirmed) return true;
  if (!request.interactive) {
    throw new UserError(`${request.question} Refusing to continue without an answer: stdin is not a terminal. Pass -y (--confirmed) to proceed.`);
  }
  const answer = await (request.ask ?? askOnTerminal)(`${request.question} [y/N] `);
  return answer.trim() === 'y';
}

async function askOnTerminal(question: string): Promise<string> {
  const readline = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await new Promise<string>((resolve) => readline.question(question, resolve));
  } finally {
    readline.close();
  }
}

// Runs a local command that needs the terminal (an `ssh -t …` session). A dry run records it
// instead. Returns the command's exit code.
export async function runInteractive(env: StepEnv, command: Command): Promise<number> {
  if (env.dryRun) {
    // Recorded as the shell would get it: no `/usr/bin/env` in front, secrets redacted.
    await env.local.exec(argv(shellCode(renderForDisplay(command, { mapFirstToken: false }))));
    return 0;
  }
  const line = render(command, { mapFirstToken: false });
  return new Promise<number>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', line], { cwd: env.config.cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
