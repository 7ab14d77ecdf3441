// Runs one machine (a host or a role swap) as the child of a small parent that records everything
// the child sends it, so a machine that reports to its parent can be tested on its own.
import { assign, createActor, setup, spawnChild, waitFor, type AnyActorLogic, type AnyActorRef, type AnyEventObject } from 'xstate';

export interface Harness {
  // What the child and its own children emitted, in order (heard from their creation on).
  emitted: AnyEventObject[];
  // Events the child sent its parent, in order (xstate's done event last, with the output).
  reports(): AnyEventObject[];
  send(event: AnyEventObject): void;
  // Resolves once the parent has received a report matching `match`.
  until(match: (report: AnyEventObject) => boolean): Promise<AnyEventObject>;
  child(): AnyActorRef;
  childSnapshot(): { value: unknown; context: Record<string, unknown>; children: Record<string, AnyActorRef | undefined> };
  stop(): void;
}

export function underParent(logic: AnyActorLogic, input: unknown, id = 'child'): Harness {
  const parent = setup({
    types: { context: {} as { reports: AnyEventObject[] }, events: {} as AnyEventObject },
    actors: { child: logic },
  }).createMachine({
    context: { reports: [] },
    entry: spawnChild('child', { id, input: input as never }),
    on: { '*': { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) } },
  });
  const emitted: AnyEventObject[] = [];
  const actor = createActor(parent, {
    inspect: (event) => {
      if (event.type !== '@xstate.actor') return;
      const ref = event.actorRef;
      if ('on' in ref && typeof ref.on === 'function') ref.on('*', (e: AnyEventObject) => emitted.push(e));
    },
  }).start();
  const child = () => actor.getSnapshot().children[id] as AnyActorRef;
  return {
    emitted,
    reports: () => actor.getSnapshot().context.reports,
    send: (event) => child().send(event),
    until: async (match) => {
      const snapshot = await waitFor(actor, (s) => s.context.reports.some(match));
      return snapshot.context.reports.find(match) as AnyEventObject;
    },
    child,
    childSnapshot: () => child().getSnapshot(),
    stop: () => actor.stop(),
  };
}

export const isType = (type: string) => (report: AnyEventObject) => report.type === type;
