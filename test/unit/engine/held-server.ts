// A server that answers nothing until the test says so, round by round: which commands a step had
// in flight at once (overlap.test.ts, ahead.test.ts). BatchingServer takes whole sequences at once,
// as an SSH transport with an idle remote shell does.
import type { Command } from '../../../src/commands/command.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadConfig } from '../../../src/config/index.ts';
import type { StepEnv } from '../../../src/engine/context.ts';
import { isUpload, type ExecOptions, type ExecResult, type SequencedStep, type Transport } from '../../../src/remote/transport.ts';
import { tempProject } from '../config/temp-project.ts';
import { testSession } from './test-session.ts';

export type Reply = (line: string) => Partial<ExecResult>;

// Holds every command until the test answers the round.
export class HeldServer implements Transport {
  readonly sent: string[] = [];
  private waiting: Array<{ line: string; answer: (result: ExecResult) => void }> = [];
  constructor(readonly host: string) {}

  private hold(line: string): Promise<ExecResult> {
    this.sent.push(line);
    return new Promise((answer) => this.waiting.push({ line, answer }));
  }
  // As the real transports: a non-zero exit throws unless `check: false`.
  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.hold(render(command));
    if (result.exitCode !== 0 && options.check !== false) throw new Error(`exit ${result.exitCode}: ${result.stderr}`);
    return result;
  }
  async upload(path: string): Promise<void> {
    const result = await this.hold(`UPLOAD ${path}`);
    if (result.exitCode !== 0) throw new Error(`upload of ${path} failed: ${result.stderr}`);
  }
  async uploadDirectory(): Promise<void> {}
  async close(): Promise<void> {}

  // Answers everything in flight; returns what that was.
  answerRound(reply: Reply): string[] {
    const round = this.waiting;
    this.waiting = [];
    for (const { line, answer } of round) answer({ exitCode: 0, stdout: '', stderr: '', ...reply(line) });
    return round.map((w) => w.line);
  }
}

// As SshTransport.execSequence: the whole sequence goes out in one round; answers are taken in
// order, the first checked failure throws and the rest of the sequence is not run.
export class BatchingServer extends HeldServer {
  async execSequence(steps: SequencedStep[]): Promise<ExecResult[]> {
    const answers = steps.map((step) => (isUpload(step) ? this.upload(step.upload.path).then(() => ({ exitCode: 0, stdout: '', stderr: '' })) : this.exec(step.command, { check: false })));
    for (const answer of answers) answer.catch(() => {});
    const thens = Promise.all(steps.map((step) => (isUpload(step) ? undefined : step.then?.())));
    const results: ExecResult[] = [];
    for (const [i, answer] of answers.entries()) {
      const result = await answer;
      const step = steps[i]!;
      if (result.exitCode !== 0 && (isUpload(step) || step.check !== false)) throw new Error(`exit ${result.exitCode}: ${result.stderr}`);
      results.push(result);
      if (!isUpload(step)) step.ended?.(result);
      if (!isUpload(step) && step.stopsOnOutput && result.stdout.trim()) break;
    }
    await thens;
    return results;
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

// Runs a step to its end, one round of answers at a time; the rounds, shortened to each command's
// first words.
export async function rounds(server: HeldServer, step: Promise<unknown>, reply: Reply = () => ({})) {
  let settled: { error?: unknown } | undefined;
  step.then(() => (settled = {}), (error: unknown) => (settled = { error }));
  const seen: string[][] = [];
  for (let i = 0; i < 50; i++) {
    await tick();
    const round = server.answerRound(reply);
    if (round.length) seen.push(round.map(short));
    else if (settled) break;
  }
  return { rounds: seen, error: settled?.error };
}

export const short = (line: string) => {
  if (line.includes('-audit.log')) return `audit ${/\] (\[\w+\] )?([A-Z]\w+)/.exec(line)?.[2]}`;
  if (line.startsWith('UPLOAD')) return 'upload';
  return line.split(' ').slice(0, 3).join(' ');
};

export function setup(yaml: string, Server: typeof HeldServer = HeldServer): { env: StepEnv; server: (host: string) => HeldServer; cleanup: () => void } {
  const project = tempProject({ 'config/deploy.yml': yaml });
  const config = loadConfig({ cwd: project.dir, env: {} });
  const servers = new Map<string, HeldServer>();
  const server = (host: string) => servers.get(host) ?? servers.set(host, new Server(host)).get(host)!;
  const session = testSession(config, server);
  return { env: session.env, server, cleanup: project.cleanup };
}

export const ONE = 'service: app\nimage: a/b\nservers: [h1]\nregistry: { username: u, password: p }\nbuilder: { arch: amd64 }\n';
export const TWO_ROLES =
  'service: app\nimage: a/b\nservers:\n  web: [h1, h2]\n  workers:\n    hosts: [h1]\n    cmd: bin/jobs\nregistry: { username: u, password: p }\nbuilder: { arch: amd64 }\n';
