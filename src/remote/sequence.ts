import type { ExecResult, SequencedCommand, Transport } from './transport.ts';

/**
 * Commands that always run one after another on a host: through the transport's own
 * `execSequence` where it has one (an SSH transport sends them in one round trip), else one `exec`
 * at a time. Either way the first checked failure throws and nothing after it runs.
 */
export async function inSequence(transport: Transport, commands: SequencedCommand[]): Promise<ExecResult[]> {
  if (transport.execSequence && commands.length > 1) return transport.execSequence(commands);
  return oneAtATime(transport, commands);
}

/** A sequence as plain `exec` calls, each `then` between its command and the next. */
export async function oneAtATime(transport: Pick<Transport, 'exec'>, commands: SequencedCommand[]): Promise<ExecResult[]> {
  const results: ExecResult[] = [];
  for (const { command, then, ...options } of commands) {
    results.push(await transport.exec(command, options));
    await then?.();
  }
  return results;
}
