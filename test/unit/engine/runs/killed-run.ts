// A child process: a fake deployment recorded in argv[2] (runs dir) as run argv[3], which kills
// itself where SEXTANT_TEST_KILL_AT says (the engine's test hook).
import { runRecorded } from '../../../../src/engine/recorded-run.ts';
import { fakeHandlers, fakeSession, request, testPlan } from './fake-run.ts';

const [runsDir, runId] = process.argv.slice(2) as [string, string];
const session = fakeSession(runsDir, runId);
const calls: string[] = [];
await runRecorded({ session, plan: testPlan(runId), handlers: fakeHandlers(session.bus, calls), kamalCommand: 'deploy', request });
console.log('finished without being killed');
