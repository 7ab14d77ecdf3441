import type { Command } from '../../commands/command.ts';
import type { ExecResult, Transport } from '../../remote/transport.ts';

// Sending a command and waiting for its answer costs a round trip (a new SSH channel, a new
// process on the server). Commands whose answer nothing waits for (audit lines, above all) are
// sent and left to run on their own channel of the host's connection while the step goes on.
//
// What stays as Kamal has it, and why that is enough:
// - Every command is still sent in Kamal's order: `later` calls the transport at once, so the
//   per-host order of commands (what the conformance check compares) does not change.
// - Two `later` commands never run at once: each waits for the one before it first, so audit
//   lines land in the audit log in Kamal's order.
// - The step is not over until they are: it ends with all of them answered, and fails with the
//   first one that failed. A failing audit line is reported as before; what differs is only that
//   the command after it may already have run (as it would have if the audit had been slow to
//   fail rather than quick).
export type Later = (command: Command) => Promise<void>;

export async function overlapping<T>(transport: Transport, body: (later: Later) => Promise<T>): Promise<T> {
  let pending: Promise<ExecResult> | undefined;
  // Chained at once, so the end of the step waits for this command even when the body did not
  // wait for `later` itself; resolves once the command is sent (the one before it has ended).
  const later: Later = (command) => {
    const previous = pending ?? Promise.resolve(undefined);
    const sent = previous.then(() => transport.exec(command));
    // Looked at by the next `later` or the end of the step, never left as an unhandled rejection.
    sent.catch(() => {});
    pending = sent;
    return previous.then(() => undefined);
  };
  try {
    const result = await body(later);
    await pending;
    return result;
  } catch (error) {
    await pending?.catch(() => {});
    throw error;
  }
}
