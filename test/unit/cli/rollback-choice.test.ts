// `sextant rollback` with no VERSION: the listing of containers becomes versions newest first (by
// creation time, not by name), the live one marked, versions missing on a host flagged; the
// question takes a number or a name; without a terminal the command fails with the list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { chooseRollbackVersion, formatCandidates, parseCreatedAt, parseRoleContainers, rollbackCandidates, type RoleListing } from '../../../src/cli/rollback-choice.ts';
import { listRoleContainersWithAge } from '../../../src/commands/rollback.ts';
import { render } from '../../../src/commands/shell.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { isUserError } from '../../../src/errors.ts';
import { tempProject } from '../config/temp-project.ts';

// Version names sort the other way from their ages: the order must come from CreatedAt.
const SRV1_WEB = [
  'app-web-zzz|2026-12-06 05:00:00 +0000 UTC|exited',
  'app-web-aaa|2026-12-06 06:00:00 +0000 UTC|running',
  'app-web-mmm|2026-12-06 05:30:00 +0000 UTC|exited',
  'app-web-mmm_replaced_0123456789abcdef|2026-12-06 04:00:00 +0000 UTC|exited',
  'other-web-qqq|2026-12-06 07:00:00 +0000 UTC|exited',
].join('\n');
const SRV2_WEB = [
  'app-web-aaa|2026-12-06 06:00:02 +0000 UTC|running',
  'app-web-mmm|2026-12-06 05:30:01 +0000 UTC|exited',
  // zzz is gone from srv2 (pruned): it cannot be rolled back to.
].join('\n');

const listings: RoleListing[] = [
  { host: 'srv1', role: 'web', prefix: 'app-web', output: `${SRV1_WEB}\n` },
  { host: 'srv2', role: 'web', prefix: 'app-web', output: SRV2_WEB },
];

test('docker CreatedAt is read with its offset', () => {
  assert.is(parseCreatedAt('2026-12-06 05:21:44 +0000 UTC'), Date.UTC(2026, 11, 6, 5, 21, 44));
  assert.is(parseCreatedAt('2026-12-06 07:21:44 +0200 CEST'), Date.UTC(2026, 11, 6, 5, 21, 44));
  assert.is(parseCreatedAt('yesterday'), undefined);
});

test('a role listing: versions with state; renamed-aside and foreign containers are left out', () => {
  const seen = parseRoleContainers(SRV1_WEB, 'app-web');
  assert.equal(seen.map((s) => [s.version, s.running]), [['zzz', false], ['aaa', true], ['mmm', false]]);
});

test('candidates: newest first by creation time, the live one marked, missing hosts named', () => {
  const candidates = rollbackCandidates(listings);
  assert.equal(candidates.map((c) => c.version), ['aaa', 'mmm', 'zzz']);
  assert.equal(candidates.map((c) => c.live), [true, false, false]);
  assert.equal(candidates.map((c) => c.missingOn), [[], [], ['srv2 web']]);
  assert.is(candidates[0]?.createdAt, Date.UTC(2026, 11, 6, 6, 0, 2), 'the newest of its containers');
  const shown = formatCandidates(candidates).split('\n');
  assert.match(shown[0] as string, /^ {3}1\) aaa {2}created 2026-12-06 06:00:02 UTC {2}\(live\)$/);
  assert.match(shown[1] as string, /^ {3}2\) mmm {2}created 2026-12-06 05:30:01 UTC$/);
  assert.match(shown[2] as string, /\(missing on srv2 web\)$/);
});

function asker(answers: Array<string | undefined>) {
  const questions: string[] = [];
  const said: string[] = [];
  return {
    questions,
    said,
    ask: async (question: string) => {
      questions.push(question);
      return answers.shift();
    },
    say: (text: string) => said.push(text),
  };
}

test('the question: a number or a name picks; a wrong answer or a version missing somewhere is asked again', async () => {
  const candidates = rollbackCandidates(listings);
  const byNumber = asker(['2']);
  assert.is(await chooseRollbackVersion({ candidates, interactive: true, ...byNumber }), 'mmm');
  assert.match(byNumber.said[0] as string, /newest first:\n {3}1\) aaa/);
  assert.match(byNumber.questions[0] as string, /\[1-3 or a version/);

  const byName = asker(['nope', '3', 'mmm']);
  assert.is(await chooseRollbackVersion({ candidates, interactive: true, ...byName }), 'mmm');
  assert.equal(byName.said.slice(1), ['nope is not in the list', 'zzz cannot be rolled back to: its container is missing on srv2 web']);
});

test('the question: an empty answer, the end of input or three wrong answers abort', async () => {
  const candidates = rollbackCandidates(listings);
  for (const answers of [[''], [undefined], ['9', 'x', '0']]) {
    const error = await chooseRollbackVersion({ candidates, interactive: true, ...asker(answers) }).catch((e: unknown) => e);
    assert.ok(isUserError(error), String(error));
    assert.match((error as Error).message, /^Aborted/);
  }
});

test('without a terminal: an error that holds the list, and nothing asked', async () => {
  const a = asker(['1']);
  const error = await chooseRollbackVersion({ candidates: rollbackCandidates(listings), interactive: false, ...a }).catch((e: unknown) => e);
  assert.ok(isUserError(error));
  assert.match((error as Error).message, /no terminal to ask on/);
  assert.match((error as Error).message, / {3}1\) aaa .*\(live\)\n {3}2\) mmm/);
  assert.match((error as Error).message, /Run: sextant rollback VERSION$/);
  assert.equal(a.questions, []);
  const none = await chooseRollbackVersion({ candidates: [], interactive: true, ...asker(['1']) }).catch((e: unknown) => e);
  assert.match((none as Error).message, /No app containers found/);
});

test('the listing command: every container of the role, with name, creation time and state', () => {
  const p = tempProject({ 'config/deploy.yml': 'service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry: { username: dhh, password: pw }\nbuilder: { arch: amd64 }\n' });
  try {
    const config = loadConfig({ cwd: p.dir });
    const role = config.roles[0];
    assert.ok(role);
    assert.is(
      render(listRoleContainersWithAge(config, role)),
      "docker container ls --all --filter label=service=app --filter label=destination= --filter label=role=web --format '{{.Names}}|{{.CreatedAt}}|{{.State}}'",
    );
  } finally {
    p.cleanup();
  }
});

test('sextant rollback --dry-run without VERSION fails clearly, connecting to nothing', async () => {
  const p = tempProject({ 'config/deploy.yml': 'service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry: { username: dhh, password: pw }\nbuilder: { arch: amd64 }\n' });
  try {
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: '999' });
    assert.is(await runCli(['rollback', '--dry-run'], io), 1);
    assert.match(io.stderr, /^ERROR: rollback --dry-run needs a VERSION/);
    assert.is(io.stdout, '');
  } finally {
    p.cleanup();
  }
});

test.run();
