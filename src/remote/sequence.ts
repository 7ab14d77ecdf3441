import { isUpload, type ExecResult, type SequencedStep, type Transport } from './transport.ts';

/**
 * Commands (and uploads) that always run one after another on a host: through the transport's own
 * `execSequence` where it has one (an SSH transport sends them in one round trip), else one `exec`
 * or `upload` at a time. Either way the first checked failure throws and nothing after it runs,
 * and a `stopsOnOutput` probe that prints anything ends the sequence (fewer answers come back).
 */
export async function inSequence(transport: Transport, steps: SequencedStep[]): Promise<ExecResult[]> {
  if (transport.execSequence && steps.length > 1) return transport.execSequence(steps);
  return oneAtATime(transport, steps);
}

export const UPLOADED: ExecResult = Object.freeze({ exitCode: 0, stdout: '', stderr: '' });

/** A sequence as plain `exec` and `upload` calls, each `then` between its command and the next. */
export async function oneAtATime(transport: Pick<Transport, 'exec' | 'upload'>, steps: SequencedStep[]): Promise<ExecResult[]> {
  const results: ExecResult[] = [];
  for (const step of steps) {
    if (isUpload(step)) {
      await transport.upload(step.upload.path, step.upload.content, step.upload.mode);
      results.push(UPLOADED);
      continue;
    }
    const { command, then, ended, stopsOnOutput, ...options } = step;
    const result = await transport.exec(command, options);
    results.push(result);
    ended?.(result);
    await then?.();
    if (stopsOnOutput && result.stdout.trim()) break;
  }
  return results;
}
