import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDotenv, scanDotenv, type CommandResult, type DotenvContext, type Env } from '../../../src/secrets/dotenv.ts';
import { rejectsWithUserError } from './assert-error.ts';

interface Fake {
  context: DotenvContext;
  commands: string[];
  inline: string[][];
}

function fake(env: Env = {}, outputs: Record<string, Partial<CommandResult>> = {}): Fake {
  const commands: string[] = [];
  const inline: string[][] = [];
  return {
    commands,
    inline,
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
      async runInline(args) {
        inline.push(args);
        return `inline:${args.join(' ')}\n`;
      },
      redact: (text) => text,
    },
  };
}

async function parse(source: string, env: Env = {}, outputs: Record<string, Partial<CommandResult>> = {}) {
  const f = fake(env, outputs);
  const values = await parseDotenv(source, f.context);
  return { values: Object.fromEntries(values), commands: f.commands, inline: f.inline };
}

test('unquoted values: blanks around = and at the ends are stripped; yaml style and export work', async () => {
  const { values } = await parse('FOO=bar\nA =b\nB= c\n  C=d  \nOPTION_A: 1\nexport OPTION_B=2\nDOT.KEY=x\n');
  assert.equal(values, { FOO: 'bar', A: 'b', B: 'c', C: 'd', OPTION_A: '1', OPTION_B: '2', 'DOT.KEY': 'x' });
});

test('comments, blank lines, non-assignments; a bare key or KEY= is empty', async () => {
  const { values } = await parse('# HELLO=world\n\n \t \nfoo=bar # this is foo\nlol$wut\nEMPTY=\nBARE\nfizz=buzz');
  assert.equal(values, { foo: 'bar', EMPTY: '', BARE: '', fizz: 'buzz' });
});

test('a backslash in an unquoted value escapes the next character (except $)', async () => {
  const { values } = await parse('FOO=bar\\ bar\nN=a\\nb');
  assert.equal(values, { FOO: 'bar bar', N: 'anb' });
});

test('single quotes are literal: no escapes, variables or commands', async () => {
  const { values, commands } = await parse("A=x\nS='quote $A ${A} \\n \\' $(echo hi)'\nH='ba#r'  # c");
  assert.equal(values, { A: 'x', S: "quote $A ${A} \\n \\' $(echo hi)", H: 'ba#r' });
  assert.equal(commands, []);
});

test('double quotes: \\" unescapes, \\n and \\r stay as backslash sequences (dotenv 3), # is kept', async () => {
  const { values } = await parse('Q="escaped\\"bar"\nN="bar\\nbaz"\nR="bar\\rbaz"\nH= "bar#baz" # comment\nSP="bar"  ');
  assert.equal(values, { Q: 'escaped"bar', N: 'bar\\nbaz', R: 'bar\\rbaz', H: 'bar#baz', SP: 'bar' });
});

test('DOTENV_LINEBREAK_MODE=legacy (earlier in the file or in ENV) turns \\n and \\r into line breaks', async () => {
  assert.equal((await parse('DOTENV_LINEBREAK_MODE=legacy\nFOO="bar\\nbaz\\rfizz"')).values['FOO'], 'bar\nbaz\rfizz');
  assert.equal((await parse('FOO="bar\\nbaz"', { DOTENV_LINEBREAK_MODE: 'legacy' })).values['FOO'], 'bar\nbaz');
  assert.equal((await parse('FOO="bar\\nbaz"', { DOTENV_LINEBREAK_MODE: 'strict' })).values['FOO'], 'bar\\nbaz');
});

test('multi-line values in single and double quotes; blank lines inside are kept', async () => {
  const source = [
    'OPTION_A=first line',
    "export OPTION_B='line 1",
    'line 2',
    "line 3'",
    'OPTION_C="last line"',
    'OPTION_ESCAPED="line one',
    'this is \\"quoted\\"',
    'one more line"',
    'GAPS="a',
    '',
    'b"',
  ].join('\n');
  const { values } = await parse(source);
  assert.equal(values, {
    OPTION_A: 'first line',
    OPTION_B: 'line 1\nline 2\nline 3',
    OPTION_C: 'last line',
    OPTION_ESCAPED: 'line one\nthis is "quoted"\none more line',
    GAPS: 'a\n\nb',
  });
});

test('CRLF and lone CR line endings', async () => {
  assert.equal((await parse('FOO=bar\r\nbaz=fbb')).values, { FOO: 'bar', baz: 'fbb' });
  assert.equal((await parse('FOO=bar\rbaz=fbb')).values, { FOO: 'bar', baz: 'fbb' });
});

test('${VAR} and $VAR chains use earlier keys of the file, then ENV, then ""; later keys are not seen', async () => {
  const { values } = await parse(
    'A=x\nB=${A}y\nC="$B-z"\nD=$FROM_ENV\nE=${UNKNOWN}|$UNKNOWN|\nF=$LATER\nLATER=late\nA=again\nG=$A',
    { FROM_ENV: 'env-value', LATER: 'from-env' },
  );
  assert.equal(values, { A: 'again', B: 'xy', C: 'xy-z', D: 'env-value', E: '||', F: 'from-env', LATER: 'late', G: 'again' });
});

test('a file value beats ENV for later references (overwrite mode); an empty file value still wins', async () => {
  const { values } = await parse('FOO=development\nBAR=${FOO}\nE=\nF=[$E]', { FOO: 'test', E: 'env' });
  assert.equal(values, { FOO: 'development', BAR: 'development', E: '', F: '[]' });
});

test('\\$ keeps a literal $; a lone $ stays', async () => {
  const { values, commands } = await parse('FOO=test\nA="foo\\$BAR"\nB="foo\\${BAR}"\nC="foo\\${FOO} ${FOO}"\nD="bar\\$ \\$\\$"\nE="bar $ "\nF=escaped-\\$(echo hello)');
  assert.equal(values, { FOO: 'test', A: 'foo$BAR', B: 'foo${BAR}', C: 'foo${FOO} test', D: 'bar$ $$', E: 'bar $ ', F: 'escaped-$(echo hello)' });
  assert.equal(commands, []);
});

test('$(cmd): variables are substituted first, one trailing newline is removed', async () => {
  const { values, commands } = await parse('VAR1=var1\ninterp=$(echo "VAR1 is $VAR1")\ntwo=$(printf x)', {}, { 'printf x': { stdout: 'a\n\n' } });
  assert.equal(commands, ['echo "VAR1 is var1"', 'printf x']);
  assert.equal(values['interp'], '"VAR1 is var1"');
  assert.equal(values['two'], 'a\n');
});

test('$(…) with balanced parentheses is one command; several commands run left to right', async () => {
  const { values, commands } = await parse('echo=$(echo "$(echo "$(echo hello)")")\nX="$(echo a)-$(echo b)"');
  assert.equal(commands, ['echo "$(echo "$(echo hello)")"', 'echo a', 'echo b']);
  assert.equal(values['X'], 'a-b');
});

test('inline `kamal secrets` / `sextant secrets` commands run in-process with the words after the program', async () => {
  const source = [
    'SECRETS=$(kamal secrets fetch --adapter test --account x A B)',
    'ONE=$(sextant secrets extract A $SECRETS)',
    'SHELL=$(bin/kamal secrets print)',
  ].join('\n');
  const { values, commands, inline } = await parse(source);
  assert.equal(inline, [
    ['secrets', 'fetch', '--adapter', 'test', '--account', 'x', 'A', 'B'],
    ['secrets', 'extract', 'A', 'inline:secrets', 'fetch', '--adapter', 'test', '--account', 'x', 'A', 'B'],
  ]);
  assert.equal(values['SECRETS'], 'inline:secrets fetch --adapter test --account x A B');
  assert.equal(commands, ['bin/kamal secrets print']);
});

test('a failing command names the file and line, shows the command as written, never the values in it', async () => {
  const source = 'TOKEN=s3cr3t-value\n\n# comment\nDB=$(vault read --token $TOKEN db)\n';
  const f = fake({}, {});
  f.context.runCommand = async () => ({ exitCode: 2, stdout: 'partial', stderr: '\nError: permission denied\nmore detail\n' });
  const error = await rejectsWithUserError(
    () => parseDotenv(source, f.context),
    '`.kamal/secrets` line 4: command `vault read --token $TOKEN db` failed (exit 2): Error: permission denied',
  );
  assert.not.match(error.message, 's3cr3t-value');
});

test('a command killed by a signal, and one with no stderr', async () => {
  const f = fake();
  f.context.runCommand = async () => ({ exitCode: null, signal: 'SIGKILL', stdout: '', stderr: '' });
  await rejectsWithUserError(() => parseDotenv('A=one\nB=$(sleep 100)', f.context), '`.kamal/secrets` line 2: command `sleep 100` failed (killed by SIGKILL)');
});

test('errors from an inline command get the file and line too', async () => {
  const f = fake();
  const { UserError } = await import('../../../src/errors.ts');
  f.context.runInline = async () => {
    throw new UserError('Could not find secret X');
  };
  await rejectsWithUserError(() => parseDotenv('\nA=$(kamal secrets extract X {})', f.context), '`.kamal/secrets` line 2: Could not find secret X');
});

test('export KEY without a value needs the key earlier in the file', async () => {
  assert.equal((await parse('OPTION_A=2\nexport OPTION_A')).values, { OPTION_A: '2' });
  await rejectsWithUserError(
    () => parse('OPTION_A=2\nexport OH_NO_NOT_SET'),
    '`.kamal/secrets` line 2: Line "export OH_NO_NOT_SET" has an unset variable',
  );
});

test('scanDotenv reports the line of each key', () => {
  const entries = scanDotenv("A=1\nB='x\ny'\n\n  C=3\r\nD");
  assert.equal(entries.map((e) => [e.key, e.line]), [['A', 1], ['B', 2], ['C', 5], ['D', 6]]);
  assert.equal(entries[1]!.rawValue, "'x\ny'");
});

test.run();
