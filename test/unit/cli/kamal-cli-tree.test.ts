// Every command and option of Kamal 2.6.0's CLI (fixtures/kamal-cli-tree/kamal-2.6.0.tsv, extracted
// from Kamal's Thor classes by extract.rb beside it) exists in Sextant's command tree, or is listed in
// docs/kamal-compat.md with the reason it does not. An entry listed there that Sextant does have fails
// too, so the page stays true.
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';

export interface KamalEntry {
  kind: 'global-option' | 'command' | 'command-hidden' | 'option';
  command: string;
  option?: string;
  aliases: string[];
}

export function readKamalTree(text: string): KamalEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [kind, command = '', option = '', aliases = ''] = line.split('\t');
      return { kind: kind as KamalEntry['kind'], command, ...(option ? { option } : {}), aliases: aliases ? aliases.split(',') : [] };
    });
}

// The names a user types, one per entry: `accessory upgrade`, `accessory upgrade --rolling`, `deploy -P`.
export function kamalNames(entries: readonly KamalEntry[]): string[] {
  return entries.flatMap((entry) => {
    if (!entry.option) return [entry.command];
    const prefix = entry.command ? `${entry.command} ` : '';
    return [entry.option, ...entry.aliases].map((flag) => `${prefix}${flag}`);
  });
}

type Walkable = Command & { _hidden?: boolean; _getHelpCommand?: () => Command | null };

// The same names for Sextant's tree: each command path (its aliases too), `PATH help` where commander
// adds a help command, and every flag of every command (hidden ones included). Global options are
// on every command; they are listed once at the root, as Kamal's class options are.
export function sextantNames(program: Command): Set<string> {
  const names = new Set<string>();
  const flags = (options: readonly Option[], prefix: string) => {
    for (const option of options) for (const flag of [option.long, option.short]) if (flag) names.add(`${prefix}${flag}`);
  };
  flags(program.options, '');
  if ((program as Walkable)._getHelpCommand?.()) names.add('help');
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands as Walkable[]) {
      for (const name of [sub.name(), ...sub.aliases()]) {
        const full = [...path, name];
        names.add(full.join(' '));
        flags(sub.options, `${full.join(' ')} `);
        if (sub._getHelpCommand?.()) names.add(`${full.join(' ')} help`);
        walk(sub, full);
      }
    }
  };
  walk(program, []);
  return names;
}

// docs/kamal-compat.md's table of what Sextant does not have: `| \`kamal NAME\` | reason |`.
export function documentedAbsences(markdown: string): Map<string, string> {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Kamal commands and options Sextant does not have'));
  const absent = new Map<string, string>();
  for (const line of (section ?? '').split('\n')) {
    const match = /^\|\s*`kamal ([^`]+)`\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (match) absent.set(match[1] as string, match[2] as string);
  }
  return absent;
}

const fixture = readFileSync(new URL('./fixtures/kamal-cli-tree/kamal-2.6.0.tsv', import.meta.url), 'utf8');
const compat = readFileSync(new URL('../../../docs/kamal-compat.md', import.meta.url), 'utf8');

test('the fixture is the whole Kamal 2.6.0 tree (a sample of what it must hold)', () => {
  const names = kamalNames(readKamalTree(fixture));
  for (const name of ['--skip-hooks', '-H', 'deploy -P', 'upgrade --rolling', 'accessory upgrade -y', 'proxy upgrade', 'accessory upload', 'accessory directories', 'build dev --output', 'init --bundle', 'secrets fetch --inline', 'secrets extract --inline', 'app exec --env', 'proxy boot_config --docker-options']) {
    assert.ok(names.includes(name), name);
  }
  assert.ok(names.length > 150, `${names.length} names`);
});

test('every Kamal 2.6.0 command and option is in sextant --help, or in docs/kamal-compat.md with a reason', async () => {
  const have = sextantNames(await buildProgram({ io: captureIO('/tmp') }));
  const absent = documentedAbsences(compat);
  const missing = kamalNames(readKamalTree(fixture)).filter((name) => !have.has(name) && !absent.has(name));
  assert.equal(missing, [], `not in Sextant's tree and not in docs/kamal-compat.md:\n${missing.join('\n')}`);
  for (const [name, reason] of absent) assert.ok(reason.length > 10, `docs/kamal-compat.md gives a reason for ${name}`);
});

test('docs/kamal-compat.md lists as absent only what Sextant really lacks, and only Kamal names', async () => {
  const have = sextantNames(await buildProgram({ io: captureIO('/tmp') }));
  const kamal = new Set(kamalNames(readKamalTree(fixture)));
  for (const name of documentedAbsences(compat).keys()) {
    assert.not.ok(have.has(name), `${name} is listed as absent but Sextant has it`);
    assert.ok(kamal.has(name), `${name} is not a Kamal 2.6.0 command or option`);
  }
});

test('the comparison sees a missing option and a missing command', () => {
  const entries = readKamalTree('command\tfoo\noption\tfoo\t--bar\t-b\nglobal-option\t\t--baz\t\n');
  assert.equal(kamalNames(entries), ['foo', 'foo --bar', 'foo -b', '--baz']);
  assert.equal(documentedAbsences('## Kamal commands and options Sextant does not have\n\n| `kamal foo -b` | Thor-only spelling, not needed |\n'), new Map([['foo -b', 'Thor-only spelling, not needed']]));
});

test.run();
