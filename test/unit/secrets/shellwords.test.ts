import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shellEscape, shellSplit } from '../../../src/secrets/shellwords.ts';
import { rejectsWithUserError } from './assert-error.ts';

test('shellEscape matches Ruby Shellwords.escape', () => {
  assert.is(shellEscape(''), "''");
  assert.is(shellEscape('safe-chars_0.9,:+/@x'), 'safe-chars_0.9,:+/@x');
  assert.is(shellEscape("It's better"), "It\\'s\\ better");
  assert.is(shellEscape('{"a":"b c"}'), '\\{\\"a\\":\\"b\\ c\\"\\}');
  assert.is(shellEscape('a\nb'), "a'\n'b");
  assert.is(shellEscape('$x`y`\\'), '\\$x\\`y\\`\\\\');
  assert.is(shellEscape('é✓'), '\\é\\✓');
});

test('shellSplit matches Ruby Shellwords.split', () => {
  assert.equal(shellSplit('here are "two words"'), ['here', 'are', 'two words']);
  assert.equal(shellSplit("  a  'b c'  d\\ e  "), ['a', 'b c', 'd e']);
  assert.equal(shellSplit('a"b"\'c\'d'), ['abcd']);
  assert.equal(shellSplit('"a\\"b\\$c\\x"'), ['a"b$c\\x']);
  assert.equal(shellSplit("''"), ['']);
  assert.equal(shellSplit(''), []);
  assert.equal(shellSplit('ruby my_prog.rb | less'), ['ruby', 'my_prog.rb', '|', 'less']);
});

test('shellEscape then shellSplit gives the original back as one word', () => {
  for (const value of ['{"a":"b c","d":"e\\"f"}', "it's\n$HOME `x` \\ é", '', ' ']) {
    assert.equal(shellSplit(`x ${shellEscape(value)} y`), ['x', value, 'y']);
  }
});

test('unmatched quotes fail like Ruby', async () => {
  await rejectsWithUserError(async () => shellSplit('a "b'), 'Unmatched quote at 2: ..."');
  await rejectsWithUserError(async () => shellSplit("'b"), "Unmatched quote at 0: '");
});

test.run();
