// src/secrets/inline.ts: how `$(kamal secrets …)` reads its words as Thor would, for the cases
// mutation testing found unpinned — every class option in both spellings, booleans with
// true/false words, negations, squashed and numeric short switches, `--`, unknown switches,
// command prefixes and the extract argument count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseThorArgs, runInlineSecretsCommand } from '../../../src/secrets/inline.ts';
import { shellSplit } from '../../../src/secrets/shellwords.ts';
import { rejectsWithUserError } from './assert-error.ts';

const context = { cwd: process.cwd(), env: {} };
const run = (line: string) => runInlineSecretsCommand(shellSplit(line), context);
/** The names `secrets fetch` fetched (the test adapter maps each name to itself reversed). */
async function fetched(options: string): Promise<string[]> {
  const [json] = shellSplit(await run(`secrets fetch -a test --account acc ${options}`));
  return Object.keys(JSON.parse(json!) as Record<string, string>);
}

test('every class option is known in its long and short spelling; string ones take the next word', async () => {
  for (const flag of ['--verbose', '-v', '--quiet', '-q', '--primary', '-p', '--skip-hooks', '--skip_hooks', '-H']) {
    assert.equal(await fetched(`${flag} A`), ['A'], flag);
  }
  for (const flag of ['--version', '--hosts', '-h', '--roles', '-r', '--config-file', '--config_file', '-c', '--destination', '-d']) {
    assert.equal(await fetched(`${flag} value A`), ['A'], flag);
  }
});

test('an unknown switch is a name and takes the words after it up to the next switch', async () => {
  assert.equal(await fetched('-x A B --verbose C'), ['-x', 'A', 'B', 'C']);
});

test('after `--` everything is a name, also what looks like a switch (and the --inline Kamal appends)', async () => {
  assert.equal(await fetched('A -- -v --from x'), ['A', '-v', '--from', 'x', '--inline']);
  assert.equal(await fetched('--nope A -- --also'), ['--nope', 'A', '--also', '--inline']);
});

test('--from=VALUE takes the value whatever it looks like', async () => {
  assert.equal(await fetched('--from=-v A'), ['-v/A']);
  assert.equal(await fetched('--from=-- A'), ['--/A']);
});

const SPECS = [
  { name: 'flag', type: 'boolean' as const, alias: 'f' },
  { name: 'other', type: 'boolean' as const, alias: 'o' },
  { name: 'level', type: 'string' as const, alias: 'l' },
  { name: 'two_words', type: 'string' as const },
];

test('booleans: true/false words are taken as values, anything else stays a positional', () => {
  for (const word of ['true', 'TRUE', 't', 'T']) assert.equal(parseThorArgs(['--flag', word], SPECS), { options: { flag: true }, positional: [] }, word);
  for (const word of ['false', 'FALSE', 'f', 'F']) assert.equal(parseThorArgs(['--flag', word], SPECS), { options: { flag: false }, positional: [] }, word);
  assert.equal(parseThorArgs(['--flag', 'yes'], SPECS), { options: { flag: true }, positional: ['yes'] });
  assert.equal(parseThorArgs(['--flag', '-o'], SPECS), { options: { flag: true, other: true }, positional: [] });
});

test('--no-NAME and --skip-NAME negate a boolean only', () => {
  assert.equal(parseThorArgs(['--no-flag'], SPECS), { options: { flag: false }, positional: [] });
  assert.equal(parseThorArgs(['--skip-flag', 'true'], SPECS), { options: { flag: true }, positional: [] });
  assert.equal(parseThorArgs(['--level', 'x', '--no-level'], SPECS), { options: { level: 'x' }, positional: ['--no-level'] });
  // --no-nothing is no switch at all
  assert.equal(parseThorArgs(['--no-nothing', 'a'], SPECS), { options: {}, positional: ['--no-nothing', 'a'] });
});

test('squashed short switches, -lVALUE numbers and -l=VALUE', () => {
  assert.equal(parseThorArgs(['-fo'], SPECS), { options: { flag: true, other: true }, positional: [] });
  assert.equal(parseThorArgs(['-xf'], SPECS), { options: { flag: true }, positional: ['-x'] });
  assert.equal(parseThorArgs(['-xy', 'a'], SPECS), { options: {}, positional: ['-xy', 'a'] });
  assert.equal(parseThorArgs(['-l5'], SPECS), { options: { level: '5' }, positional: [] });
  assert.equal(parseThorArgs(['-l-2.5'], SPECS), { options: { level: '-2.5' }, positional: [] });
  assert.equal(parseThorArgs(['-l.5'], SPECS), { options: { level: '.5' }, positional: [] });
  assert.equal(parseThorArgs(['-l=a=b'], SPECS), { options: { level: 'a=b' }, positional: [] });
  assert.equal(parseThorArgs(['--level=multi\nline'], SPECS), { options: { level: 'multi\nline' }, positional: [] });
});

test('a string option without a value gets its own name (dashed), as Thor does', () => {
  assert.equal(parseThorArgs(['--two-words'], SPECS), { options: { two_words: 'two-words' }, positional: [] });
  assert.equal(parseThorArgs(['--two_words', '--flag'], SPECS), { options: { two_words: 'two-words', flag: true }, positional: [] });
  assert.equal(parseThorArgs(['--level', '--'], SPECS), { options: { level: 'level' }, positional: [] });
});

test('words that only look like switches somewhere inside are positionals', () => {
  assert.equal(parseThorArgs(['a--flag', 'x-f', 'a-fo', 'x--no-flag', '--flag-', 'a-l5'], SPECS), {
    options: {},
    positional: ['a--flag', 'x-f', 'a-fo', 'x--no-flag', '--flag-', 'a-l5'],
  });
});

test('required options: every missing one is named with its dashes', () => {
  const specs = [
    { name: 'first_one', type: 'string' as const, required: true },
    { name: 'second', type: 'string' as const, required: true },
  ];
  assert.throws(() => parseThorArgs([], specs), (error: Error) => error.message === "No value provided for required options '--first-one', '--second'");
  assert.throws(() => parseThorArgs(['--first-one'], specs), (error: Error) => error.message === "No value provided for option '--first-one'");
});

test('commands: any unambiguous prefix; an empty, unknown or switch-like one is refused', async () => {
  assert.equal(await run('secrets f -a test --account a A').then((out) => shellSplit(out)[0]), '{"A":"A"}');
  assert.is(await run(`secrets ex A '{"A":"x"}'`), 'x');
  await rejectsWithUserError(() => runInlineSecretsCommand(['secrets', ''], context), '`secrets` needs a command (fetch or extract)');
  // Kamal appends --inline, so a bare `secrets` looks for a command of that name
  await rejectsWithUserError(() => run('secrets'), 'Could not find command "--inline" in "secrets" namespace.');
  await rejectsWithUserError(() => run('secrets -a'), 'Could not find command "-a" in "secrets" namespace.');
  await rejectsWithUserError(() => run('secrets zz'), 'Could not find command "zz" in "secrets" namespace.');
  await rejectsWithUserError(() => run('other fetch'), 'Could not find command "other".');
  await rejectsWithUserError(() => runInlineSecretsCommand([], context), 'Could not find command "--inline".');
});

test('extract says how many arguments it got', async () => {
  await rejectsWithUserError(() => run('secrets extract'), '"secrets extract" was called with no arguments; usage: secrets extract NAME SECRETS');
  await rejectsWithUserError(() => run('secrets extract A'), '"secrets extract" was called with 1 argument; usage: secrets extract NAME SECRETS');
  await rejectsWithUserError(() => run('secrets extract A B C'), '"secrets extract" was called with 3 arguments; usage: secrets extract NAME SECRETS');
});

test.run();
