// src/commands/shell.ts splitShellWords / toArgv: the words a POSIX shell would make from quoted
// text, and the refusals (with what, where and the text) for anything that needs a real shell.
// Written for the cases mutation testing found unpinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { and, argv } from '../../../src/commands/command.ts';
import { NeedsShellError, splitShellWords, toArgv } from '../../../src/commands/shell.ts';

function refused(text: string): string {
  try {
    splitShellWords(text);
  } catch (error) {
    assert.ok(error instanceof NeedsShellError, `a NeedsShellError for ${JSON.stringify(text)}`);
    assert.is((error as Error).name, 'NeedsShellError');
    return (error as Error).message;
  }
  assert.unreachable(`no error for ${JSON.stringify(text)}`);
  return '';
}

test('blanks separate words; quotes join and may make an empty word', () => {
  assert.equal(splitShellWords('a  b\tc'), ['a', 'b', 'c']);
  assert.equal(splitShellWords('  a '), ['a']);
  assert.equal(splitShellWords("''"), ['']);
  assert.equal(splitShellWords("a''"), ['a']);
  assert.equal(splitShellWords(`'a'"b"c`), ['abc']);
  assert.equal(splitShellWords('"a b"'), ['a b']);
});

test('backslashes: inside double quotes only before $ ` " \\ and a newline; outside before anything', () => {
  assert.equal(splitShellWords('"a\\"b\\\\c\\$d\\`e"'), ['a"b\\c$d`e']);
  assert.equal(splitShellWords('"\\z"'), ['\\z']);
  assert.equal(splitShellWords('"a\\\nb"'), ['ab']);
  assert.equal(splitShellWords('a\\ b'), ['a b']);
  assert.equal(splitShellWords('a\\\nb'), ['ab']);
});

test('~ and # are plain inside a word, refused at its start', () => {
  assert.equal(splitShellWords('a~ a#b'), ['a~', 'a#b']);
  assert.is(refused('~x'), '"~" at the start of a word at offset 0 needs a shell: "~x"');
  assert.is(refused('#x'), '"#" at the start of a word at offset 0 needs a shell: "#x"');
});

test('unterminated quotes, trailing backslashes, expansions and operators are refused where they are', () => {
  assert.is(refused("'abc"), 'an unterminated single quote at offset 0 needs a shell: "\'abc"');
  assert.is(refused('"abc'), 'an unterminated double quote at offset 4 needs a shell: "\\"abc"');
  assert.is(refused('"$x"'), '"$" inside double quotes at offset 1 needs a shell: "\\"$x\\""');
  assert.is(refused('"`x`"'), '"`" inside double quotes at offset 1 needs a shell: "\\"`x`\\""');
  assert.is(refused('"a\\'), 'a trailing backslash at offset 2 needs a shell: "\\"a\\\\"');
  assert.is(refused('a\\'), 'a trailing backslash at offset 1 needs a shell: "a\\\\"');
  assert.is(refused('a|b'), '"|" at offset 1 needs a shell: "a|b"');
  assert.is(refused('x\ny'), '"\n" at offset 1 needs a shell: "x\\ny"');
});

test('toArgv refuses a command that is not a simple argv, naming its kind', () => {
  assert.throws(() => toArgv(and(argv('a'), argv('b'))), (error: Error) => error instanceof NeedsShellError && error.message === 'a and command needs a shell');
  assert.equal(toArgv(argv('echo', 'a b', "it's")), ['echo', 'a b', "it's"]);
});

test.run();
