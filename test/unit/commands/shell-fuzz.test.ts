// Round trip through real shells: hostile and random values are rendered by shell.ts, the line is
// run by /bin/sh (dash) and bash, and each word must arrive as exactly one argument with the value
// Kamal intends, while nothing in a value ever runs (sentinel files must not appear).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  argumentize,
  argv,
  bare,
  dquote,
  optionize,
  quoted,
  raw,
  secret,
  seq,
  squote,
  subst,
  value,
  word,
  type Command,
  type Word,
} from '../../../src/commands/command.ts';
import { render, toArgv, NeedsShellError } from '../../../src/commands/shell.ts';
import { FUZZ_ENV, generateValues, intended } from './shell-fuzz-helpers.ts';

const SEED = 0x5e47a47;
const CASES = 400;
const ENV = FUZZ_ENV;

const sentinelDir = mkdtempSync(join(tmpdir(), 'sextant-pwned-'));

type Probe = { readonly label: string; readonly input: string; readonly command: Command; readonly expected: string[] };

const RS = '\x1e';

/** `set -- <words> ; printf '%s\0' "$#" "$@" ; printf '\036\0'`: the shell's view of the words. */
function showArgs(words: readonly Word[]): Command {
  return seq(argv('set', '--', ...words), argv('printf', raw("'%s\\0'"), raw('"$#"'), raw('"$@"')), argv('printf', raw("'\\036\\0'")));
}

function probesFor(text: string): Probe[] {
  const probes: Probe[] = [];
  const add = (label: string, words: Word[], expected: string[]) =>
    probes.push({ label, input: text, command: showArgs(words), expected: [String(expected.length), ...expected] });
  add('bare', [word(bare(text))], text === '' ? [] : [text]);
  add('squote', [word(squote(text))], [text]);
  add('dquote', [word(dquote(text))], [text]);
  add('value', [word(value(text))], [intended(text, true)]);
  add('secret', [word(secret(text))], [intended(text, false)]);
  add('argumentize', argumentize('--env', { KEY: text }), ['--env', /^\s*$/.test(text) ? 'KEY' : `KEY=${intended(text, true)}`]);
  add('optionize', optionize({ opt: text }, { with: '=' }), [`--opt=${intended(text, true)}`]);
  add('mixed word', [word(raw('pre-'), bare(text), raw(':'), value(text), squote(text))],
    [`pre-${text}:${intended(text, true)}${text}`]);
  add('subst in dquote', [word(dquote(subst(argv('printf', raw('%s'), bare(`${text}.`)))))], [`${text}.`]);
  // The same inside `sh -c '…'`: the inner dash must see the words the outer shell would have seen.
  probes.push({
    label: 'sh -c',
    input: text,
    command: argv('sh', '-c', quoted(showArgs([word(bare(text)), word(value(text))]))),
    expected: [text === '' ? '1' : '2', ...(text === '' ? [] : [text]), intended(text, true)],
  });
  return probes;
}

function runProbes(shellPath: string, probes: readonly Probe[]): string[][] {
  const script = probes.map((probe) => render(probe.command, { mapFirstToken: false })).join('\n');
  // The script goes in on stdin: as one `-c` argument it would exceed the kernel's 128 KiB limit.
  const result = spawnSync(shellPath, ['-s'], { input: script, env: ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.is(result.error, undefined, `${shellPath} could not run`);
  assert.is(result.stderr, '', `${shellPath} wrote to stderr`);
  assert.is(result.status, 0, `${shellPath} exit status`);
  const groups: string[][] = [[]];
  const tokens = result.stdout.split('\0');
  tokens.pop();
  for (const token of tokens) {
    if (token === RS) groups.push([]);
    else groups[groups.length - 1]!.push(token);
  }
  groups.pop();
  return groups;
}

const values = generateValues({ seed: SEED, count: CASES, sentinelDir });
const probes = values.flatMap(probesFor);

function checkShell(shellPath: string): void {
  const groups = runProbes(shellPath, probes);
  assert.is(groups.length, probes.length, 'one record per probe');
  const failures = probes
    .map((probe, index) => ({ probe, got: groups[index] }))
    .filter(({ probe, got }) => JSON.stringify(got) !== JSON.stringify(probe.expected));
  const report = failures.slice(0, 5).map(({ probe, got }) =>
    `${probe.label} ${JSON.stringify(probe.input)}\n  line: ${render(probe.command, { mapFirstToken: false })}\n  want: ${JSON.stringify(probe.expected)}\n  got:  ${JSON.stringify(got)}`);
  assert.is(failures.length, 0, `${failures.length} of ${probes.length} probes differ:\n${report.join('\n')}`);
  assert.equal(readdirSync(sentinelDir), [], 'a value executed a command');
}

test(`${values.length} values × ${probes.length / values.length} word forms arrive intact through dash`, () => {
  assert.ok(values.length >= CASES);
  checkShell('/bin/sh');
});

test('the same probes through bash', () => {
  checkShell('bash');
});

test('${NAME} is expanded by the remote shell as Kamal intends; $NAME and $(…) are not', () => {
  const [expanded, plain, command, fallback] = runProbes('/bin/sh', [
    { label: '', input: '', command: showArgs([word(value('a ${SEXTANT_FUZZ} b'))]), expected: [] },
    { label: '', input: '', command: showArgs([word(value('$SEXTANT_FUZZ'))]), expected: [] },
    { label: '', input: '', command: showArgs([word(value(`$(touch ${sentinelDir}/x)`))]), expected: [] },
    { label: '', input: '', command: showArgs([word(value('${SEXTANT_UNSET:-dflt}'))]), expected: [] },
  ]);
  assert.equal(expanded, ['1', `a ${ENV.SEXTANT_FUZZ} b`]);
  assert.equal(plain, ['1', '$SEXTANT_FUZZ']);
  assert.equal(command, ['1', `$(touch ${sentinelDir}/x)`]);
  assert.equal(fallback, ['1', 'dflt']);
  assert.equal(readdirSync(sentinelDir), []);
});

test('toArgv agrees with the shell wherever no expansion is involved', () => {
  let compared = 0;
  for (const text of values) {
    for (const part of [bare(text), squote(text), dquote(text), secret(text), value(text)]) {
      let args: string[];
      try {
        args = toArgv(argv('printf', part));
      } catch (error) {
        assert.ok(error instanceof NeedsShellError, String(error));
        assert.ok(part.kind === 'value' && /\$\{/.test(text), `toArgv refused ${JSON.stringify(text)} (${part.kind})`);
        continue;
      }
      const expected = part.kind === 'value' ? intended(text, true) : part.kind === 'sensitive' ? intended(text, false) : text;
      assert.equal(args, part.kind === 'bare' && text === '' ? ['printf'] : ['printf', expected], `${part.kind} ${JSON.stringify(text)}`);
      compared++;
    }
  }
  assert.ok(compared > values.length * 4);
});

test.after(() => rmSync(sentinelDir, { recursive: true, force: true }));

test.run();
