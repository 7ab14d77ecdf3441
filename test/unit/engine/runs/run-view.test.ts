// `sextant runs view`: the HTML page of a recorded run, opened in headless Chromium.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRecorded } from '../../../../src/engine/recorded-run.ts';
import { readRun } from '../../../../src/engine/run-record.ts';
import { timelineOf } from '../../../../src/engine/run-timeline.ts';
import { renderRunView } from '../../../../src/engine/run-view.ts';
import { permanent, transient } from '../../machines/fakes.ts';
import { renderInChromium, viewFacts } from './chromium.ts';
import { fakeHandlers, fakeSession, request, SECRET, tempRunsDir, testPlan } from './fake-run.ts';

test('the page of a failed run: one lane per host, every stage, the failure, a step’s commands on click; no network, no secret', async () => {
  const runsDir = tempRunsDir();
  const session = fakeSession(runsDir, 'r-view');
  const plan = testPlan('r-view');
  let resets = 0;
  await runRecorded({
    session,
    plan,
    kamalCommand: 'deploy',
    request,
    handlers: fakeHandlers(session.bus, [], (call) => {
      if (call === 'h1 pull' && resets++ === 0) throw transient('connection reset');
      if (call === 'h2 web health') throw permanent(`health check failed (token ${SECRET})`);
    }),
  });
  const record = readRun(join(runsDir, 'r-view'));
  const html = renderRunView(timelineOf(record), record);
  assert.not.ok(html.includes(SECRET), 'no secret in the page');
  assert.not.match(html, /(src|href)=["']?(https?:)?\/\//, 'nothing is loaded from the network');
  const out = mkdtempSync(join(tmpdir(), 'sextant-view-'));
  const file = join(out, 'view.html');
  writeFileSync(file, html);
  const screenshot = join(out, 'view.png');
  const failedKey = 'swap:h2:web:health@1#1';
  const facts = viewFacts(renderInChromium(file, { hash: `#step=${encodeURIComponent(failedKey)}`, screenshot }));

  assert.equal(facts.lanes, ['local', 'h1', 'h2'], 'one lane per host (and one for local steps)');
  // The failed boot ends the run: the lock is released, nothing after the boot runs.
  const ran = [...plan.stages.slice(0, plan.stages.indexOf('boot') + 1), 'unlock'];
  assert.equal(facts.stages, ran, 'each stage that ran is on the timeline, in order');
  assert.equal(facts.failedSteps, [failedKey]);
  assert.ok(facts.failures.some((f) => f.startsWith('h2 web health: health check failed (token [REDACTED])')), facts.failures.join(' | '));
  assert.is(facts.details[0], failedKey, "the page's script opened the step");
  assert.match(facts.details[1] ?? '', /\[h2\] \$ docker login -p \[REDACTED\] h2 web health/);
  assert.match(facts.details[1] ?? '', /did h2 web health/);
  assert.ok(facts.visitedStates.includes('boot'), 'the statechart shows the states entered');
  assert.equal([...readFileSync(screenshot).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG screenshot was saved');
});

test.run();
