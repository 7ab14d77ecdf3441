// src/secrets/shellwords.ts: shellSplit cases mutation testing found unpinned — each whitespace
// character, NUL characters and unmatched quotes (and which of the two is reported, where),
// backslashes at the end and before a newline, quotes inside a word.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../../src/errors.ts';
import { shellSplit } from '../../../src/secrets/shellwords.ts';

function refused(line: string): string {
  try {
    shellSplit(line);
  } catch (error) {
    assert.ok(error instanceof UserError, `a UserError for ${JSON.stringify(line)}`);
    return (error as Error).message;
  }
  assert.unreachable(`no error for ${JSON.stringify(line)}`);
  return '';
}

test('every ASCII whitespace character separates words; only whitespace is no word', () => {
  assert.equal(shellSplit('a\tb\nc\vd\fe\rf g'), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  assert.equal(shellSplit('  \t '), []);
});

test('quotes and escapes inside a word join it', () => {
  assert.equal(shellSplit("ab'c d'e"), ['abc de']);
  assert.equal(shellSplit('ab"c d"e'), ['abc de']);
  assert.equal(shellSplit('ab\\ c'), ['ab c']);
  assert.equal(shellSplit('"a\\"b\\$c\\\\d\\e"'), ['a"b$c\\d\\e']);
});

test('a backslash at the end stays, and so does one before a newline', () => {
  assert.equal(shellSplit('\\'), ['\\']);
  assert.equal(shellSplit('a\\'), ['a\\']);
  assert.equal(shellSplit('\\\n'), ['\\\n']);
});

test('a NUL character is refused where it stands, also after a quoted word', () => {
  assert.is(refused('\0'), 'Nul character at 0: \0');
  assert.is(refused('a\0b'), 'Nul character at 1: ...\0');
  assert.is(refused("'x' \0"), 'Nul character at 4: ...\0');
  assert.is(refused('x\\\0'), 'Nul character at 2: ...\0');
});

test('a quote that is not closed (or holds a NUL) is an unmatched quote at the word it starts', () => {
  assert.is(refused("a 'b"), "Unmatched quote at 2: ...'");
  assert.is(refused('ok "unclosed'), 'Unmatched quote at 3: ..."');
  assert.is(refused("'a\0b'"), "Unmatched quote at 0: '");
  assert.is(refused('"a\0b"'), 'Unmatched quote at 0: "');
  assert.is(refused('"abc\\'), 'Unmatched quote at 0: "');
  assert.is(refused('"ab\\\0c"'), 'Unmatched quote at 0: "');
});

test.run();
