// What one actor per step costs in xstate: N machines that each run 16 steps one after another,
// the steps as invoked promise actors (as the host and role-swap machines do), or as events to one
// long-lived callback actor per machine. Prints one JSON line per shape and round (the first round
// warms the JIT up).
//   node --import tsx bench/xstate-steps.ts [N]
import { createActor, fromCallback, fromPromise, sendTo, setup, type AnyStateMachine } from 'xstate';

const machines = Number(process.argv[2] ?? 1000);
const STEPS = 16;
const next = (i: number) => (i + 1 < STEPS ? `s${i + 1}` : 'done');

const invoked = setup({ actors: { step: fromPromise(async () => {}) } }).createMachine({
  initial: 's0',
  states: Object.fromEntries([
    ...Array.from({ length: STEPS }, (_, i) => [`s${i}`, { invoke: { src: 'step' as const, onDone: next(i) } }]),
    ['done', { type: 'final' as const }],
  ]),
});

const worker = fromCallback(({ sendBack, receive }) => receive(() => void Promise.resolve().then(() => sendBack({ type: 'STEP.DONE' }))));
const evented = setup({ actors: { worker } }).createMachine({
  invoke: { id: 'worker', src: 'worker' },
  initial: 's0',
  states: Object.fromEntries([
    ...Array.from({ length: STEPS }, (_, i) => [`s${i}`, { entry: sendTo('worker', { type: 'STEP' }), on: { 'STEP.DONE': next(i) } }]),
    ['done', { type: 'final' as const }],
  ]),
});

async function run(machine: AnyStateMachine): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: machines }, () => {
      const actor = createActor(machine, { inspect: () => {} });
      const done = new Promise<void>((resolve) => actor.subscribe({ complete: resolve }));
      actor.start();
      return done;
    }),
  );
  return Math.round(performance.now() - started);
}

for (let round = 1; round <= 2; round++) {
  console.log(JSON.stringify({ machines, steps: STEPS, round, shape: 'invoked promise actors', ms: await run(invoked) }));
  console.log(JSON.stringify({ machines, steps: STEPS, round, shape: 'events to one callback actor', ms: await run(evented) }));
}
