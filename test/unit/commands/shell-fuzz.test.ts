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

const SEED = 0x5e47a47;
const CASES = 400;
const ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  SEXTANT_FUZZ: 'expanded $(id) `id` ${HOME}',
  SEXTANT_EMPTY: '',
};

const sentinelDir = mkdtempSync(join(tmpdir(), 'sextant-pwned-'));

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PAYLOADS = [
  `$(touch ${sentinelDir}/subst)`,
  `\`touch ${sentinelDir}/backtick\``,
  `; touch ${sentinelDir}/semicolon`,
  `&& touch ${sentinelDir}/and`,
  `|| touch ${sentinelDir}/or`,
  `| touch ${sentinelDir}/pipe`,
  `\ntouch ${sentinelDir}/newline\n`,
  `' ; touch ${sentinelDir}/squote ; '`,
  `" ; touch ${sentinelDir}/dquote ; "`,
  `\\"; touch ${sentinelDir}/bs-dquote #`,
  `\\'; touch ${sentinelDir}/bs-squote #`,
  `'\\''; touch ${sentinelDir}/kamal-quote; '`,
  `> ${sentinelDir}/redirect`,
  `${'$'}{x:-$(touch ${sentinelDir}/param-default)}`,
  `${'$'}{x[$(touch ${sentinelDir}/arith)]}`,
  `${'$'}{a[b[$(touch ${sentinelDir}/arith2)]]}`,
  `$(( $(touch ${sentinelDir}/arith3) ))`,
  `<(touch ${sentinelDir}/procsub)`,
  `& touch ${sentinelDir}/background`,
  `)$(touch ${sentinelDir}/paren)(`,
  `${'$'}{SEXTANT_FUZZ}`,
  `${'$'}{SEXTANT_UNSET}`,
  `${'$'}{SEXTANT_EMPTY:-fallback value}`,
  `${'$'}{SEXTANT_UNSET-dflt}`,
  `${'$'}{SEXTANT_FUZZ:-x}`,
  '$SEXTANT_FUZZ',
  '$(id)',
  '${cat /etc/hostname}',
  '${PWD]',
  '${',
  '}',
  '$',
  '#{x}',
  '#$x',
  '#@x',
  '#',
  '~',
  '~root',
  '*',
  '?',
  '[a]',
  '{a,b}',
  '!',
  '\\',
  '\\\\',
  "'",
  '"',
  '`',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  'é',
  '日本',
  '🚀',
  '\u00a0',
  'plain',
  'registry.example.com/acme/app:abc1234',
  '-rf',
  '--flag',
  'a=b',
  '%s',
  '%n',
  '',
];
const CHARS = [
  ...Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)),
  '\t', '\n', '\r', '\x01', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', 'é', 'ü', '日', '🚀', '\u2028',
];

function generateValues(): string[] {
  const random = mulberry32(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const values = [...PAYLOADS];
  while (values.length < CASES) {
    let text = '';
    const pieces = 1 + Math.floor(random() * 6);
    for (let index = 0; index < pieces; index++) {
      if (random() < 0.5) text += pick(PAYLOADS);
      else for (let count = 1 + Math.floor(random() * 4); count > 0; count--) text += pick(CHARS);
    }
    values.push(text);
  }
  return values;
}

// --- what each kind of word must deliver, modelled independently of shell.ts ---------------------

const DUMP: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\v': '\\v', '\b': '\\b', '\x07': '\\a', '\x1b': '\\e' };
const SIMPLE_GROUP = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([A-Za-z0-9_@%+=:,./ -]*))?\}/;

/** What the remote program receives for value(text): the dump's visible escapes, ${NAME} expanded. */
function intended(text: string, expand: boolean): string {
  if (text === '') return '';
  let out = '';
  for (let index = 0; index < text.length; ) {
    const rest = text.slice(index);
    const group = expand ? SIMPLE_GROUP.exec(rest) : null;
    if (group) {
      const current = ENV[group[1]!];
      const fallback = group[3] ?? '';
      if (group[2] === ':-') out += current === undefined || current === '' ? fallback : current;
      else if (group[2] === '-') out += current === undefined ? fallback : current;
      else out += current ?? '';
      index += group[0].length;
      continue;
    }
    const char = text[index]!;
    const code = char.charCodeAt(0);
    if (char === '#' && /^[{$@]/.test(text[index + 1] ?? '')) out += '\\#';
    else if (DUMP[char] !== undefined) out += DUMP[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += char;
    index++;
  }
  return out;
}

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

const values = generateValues();
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
