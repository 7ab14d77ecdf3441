// src/secrets/dotenv.ts: behaviour the other dotenv tests left open, found by mutation testing —
// quotes that must wrap the whole value, `$(…)` after other text or nested, text with parentheses
// that is no command, unbalanced or empty `$(…)`, a command that comes from a variable, and how a
// failed command is described.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findCommands, parseDotenv, scanDotenv, type CommandResult, type DotenvContext, type Env } from '../../../src/secrets/dotenv.ts';
import { rejectsWithUserError } from './assert-error.ts';

function context(env: Env = {}, outputs: Record<string, Partial<CommandResult>> = {}): { context: DotenvContext; commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    context: {
      file: '.kamal/secrets',
      env,
      async runCommand(command) {
        commands.push(command);
        const canned = outputs[command];
        if (canned) return { exitCode: 0, stdout: '', stderr: '', ...canned };
        const echo = /^echo (.*)$/s.exec(command);
        return { exitCode: 0, stdout: echo ? `${echo[1]}\n` : '', stderr: '' };
      },
      async runInline() {
        throw new Error('no inline command expected');
      },
    },
  };
}

async function parse(source: string, env: Env = {}, outputs: Record<string, Partial<CommandResult>> = {}) {
  const c = context(env, outputs);
  const values = Object.fromEntries(await parseDotenv(source, c.context));
  return { values, commands: c.commands };
}

test('quotes are removed only when one pair wraps the whole value', async () => {
  const { values } = await parse(['A=a"b"', 'B="a" b', "C='x' 'y'", 'D="whole"'].join('\n'));
  // (like Ruby's /\A(['"])(.*)\1\z/m: C starts and ends with a quote, so one pair goes)
  assert.equal(values, { A: 'a"b"', B: '"a" b', C: "x' 'y", D: 'whole' });
});

test('scanDotenv: the line of each key, also for a one-letter key that ends its line', () => {
  assert.equal(
    scanDotenv('A=1\nB\nexport C\n\nD=2').map((e) => [e.key, e.line]),
    [
      ['A', 1],
      ['B', 2],
      ['C', 3],
      ['D', 5],
    ],
  );
});

test('an unset exported one-letter key is reported on its own line', async () => {
  const c = context();
  await rejectsWithUserError(() => parseDotenv('X=1\nexport A\nY=2', c.context), '`.kamal/secrets` line 2: Line "export A" has an unset variable');
});

test('a command after other text runs and keeps that text', async () => {
  const { values, commands } = await parse('A=pre$(echo hi)post\nB=x \\$(echo no) $(echo yes)');
  assert.equal(values, { A: 'prehipost', B: 'x $(echo no) yes' });
  assert.equal(commands, ['echo hi', 'echo yes']);
});

test('parentheses without `$(` are text, and so are `$()`, an unclosed `$(`, `$ (` and `$-x)`', async () => {
  const { values, commands } = await parse(['A=f(x)', 'B=$()', 'C=$(echo', 'D=5$ (approx)', 'E=(a)$(echo b)', 'F=$-x)'].join('\n'));
  assert.equal(values, { A: 'f(x)', B: '$()', C: '$(echo', D: '5$ (approx)', E: '(a)b', F: '$-x)' });
  assert.equal(commands, ['echo b']);
});

test('findCommands: nested groups count as items, empty ones end the match', () => {
  assert.equal(
    findCommands('$(a(b))').map((m) => m.command),
    ['a(b)'],
  );
  assert.equal(
    findCommands('$((x)y)').map((m) => m.command),
    ['(x)y'],
  );
  assert.equal(findCommands('$(a())'), []);
  assert.equal(findCommands('$(a'), []);
  assert.equal(findCommands('x\\$(a) $(b)'), [
    { start: 1, end: 6, escaped: true, command: 'a' },
    { start: 7, end: 11, escaped: false, command: 'b' },
  ]);
});

test('a failing command is shown as written, before its variables were filled in', async () => {
  await rejectsWithUserError(
    () => parse('A=\\$(kept) $(fetch $NAME)', { NAME: 'world' }, { 'fetch world': { exitCode: 3 } }),
    '`.kamal/secrets` line 1: command `fetch $NAME` failed (exit 3)',
  );
});

test('a command that a variable brings in runs, and a failure shows it as run', async () => {
  const { values } = await parse('A=$X', { X: '$(echo from-var)' });
  assert.equal(values, { A: 'from-var' });
  await rejectsWithUserError(() => parse('A=$X', { X: '$(boom)' }, { boom: { exitCode: 1 } }), '`.kamal/secrets` line 1: command `boom` failed (exit 1)');
});

test('a command killed by a signal says so, named or not', async () => {
  await rejectsWithUserError(
    () => parse('A=$(slow)', {}, { slow: { exitCode: null, signal: 'SIGKILL' } }),
    '`.kamal/secrets` line 1: command `slow` failed (killed by SIGKILL)',
  );
  await rejectsWithUserError(() => parse('A=$(slow)', {}, { slow: { exitCode: null } }), '`.kamal/secrets` line 1: command `slow` failed (killed by a signal)');
});

test('the first non-blank line of stderr, trimmed, follows the failure', async () => {
  await rejectsWithUserError(
    () => parse('A=$(bad)', {}, { bad: { exitCode: 2, stderr: '   \n  real error  \nmore\n' } }),
    '`.kamal/secrets` line 1: command `bad` failed (exit 2): real error',
  );
  await rejectsWithUserError(() => parse('A=$(bad)', {}, { bad: { exitCode: 2, stderr: ' \n\n' } }), '`.kamal/secrets` line 1: command `bad` failed (exit 2)');
});

test.run();
