// Shared by the shell round-trip fuzz tests (shell-fuzz.test.ts: word primitives; builder-fuzz.test.ts:
// the real command builders): a seeded generator of hostile values, the environment the shells run
// with, and an independent model of what Kamal's escape_shell_value delivers to the program.
// Not a test file itself (the runner only picks up `*.test.ts`).

/** The environment the fuzzed shells run with; `${SEXTANT_…}` references in values expand from it. */
export const FUZZ_ENV: Readonly<Record<string, string>> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  SEXTANT_FUZZ: 'expanded $(id) `id` ${HOME}',
  SEXTANT_EMPTY: '',
};

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hand-written hostile values; each one that could run a command would create a file in `sentinelDir`. */
export function hostilePayloads(sentinelDir: string): string[] {
  return [
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
}

/** Single characters mixed into generated values: printable ASCII, controls, non-ASCII. */
export const FUZZ_CHARS: readonly string[] = [
  ...Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)),
  '\t', '\n', '\r', '\x01', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', 'é', 'ü', '日', '🚀', '\u2028',
];

/** Every payload, then seeded random mixes of payloads and characters, `count` values in all. */
export function generateValues(options: { readonly seed: number; readonly count: number; readonly sentinelDir: string }): string[] {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const payloads = hostilePayloads(options.sentinelDir);
  const values = [...payloads];
  while (values.length < options.count) {
    let text = '';
    const pieces = 1 + Math.floor(random() * 6);
    for (let index = 0; index < pieces; index++) {
      if (random() < 0.5) text += pick(payloads);
      else for (let count = 1 + Math.floor(random() * 4); count > 0; count--) text += pick(FUZZ_CHARS);
    }
    values.push(text);
  }
  return values;
}

// --- what a value() / secret() word must deliver, modelled independently of shell.ts -------------

const DUMP: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\f': '\\f', '\v': '\\v', '\b': '\\b', '\x07': '\\a', '\x1b': '\\e' };
const SIMPLE_GROUP = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([A-Za-z0-9_@%+=:,./ -]*))?\}/;

/**
 * What the remote program receives for value(text) (`expand`) or secret(text): Ruby String#dump's
 * visible escapes (a newline arrives as the two characters `\n`, `#{` as `\#{`, …), with simple
 * `${NAME}` references expanded from `env` when `expand` is set.
 */
export function intended(text: string, expand: boolean, env: Readonly<Record<string, string>> = FUZZ_ENV): string {
  if (text === '') return '';
  let out = '';
  for (let index = 0; index < text.length; ) {
    const rest = text.slice(index);
    const group = expand ? SIMPLE_GROUP.exec(rest) : null;
    if (group) {
      const current = env[group[1]!];
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
