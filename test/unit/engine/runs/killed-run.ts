// A child process: a fake deployment recorded in argv[2] (runs dir) as run argv[3], or with
// argv[4] = resume, the resume of that run; it kills itself where SEXTANT_TEST_KILL_AT says (the
// engine's test hook).
import { resumeRecorded, runRecorded } from '../../../../src/engine/recorded-run.ts';
import { readRun } from '../../../../src/engine/run-record.ts';
import { fakeHandlers, fakeSession, request, testPlan } from './fake-run.ts';
import { join } from 'node:path';

const [runsDir, runId, mode] = process.argv.slice(2) as [string, string, string | undefined];
const session = fakeSession(runsDir, runId);
const calls: string[] = [];
if (mode === 'resume') {
  const record = readRun(join(runsDir, runId));
  await resumeRecorded({ session, record, plan: record.plan!, handlers: fakeHandlers(session.bus, calls) });
} else {
  await runRecorded({ session, plan: testPlan(runId), handlers: fakeHandlers(session.bus, calls), kamalCommand: 'deploy', request });
}
console.log('finished without being killed');
