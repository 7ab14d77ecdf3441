// The env file body: Kamal's test/env_file_test.rb expectations and the String#dump rules of
// KAMAL-FACTS §1.8, plus the bodies recorded in the s05 conformance scenario.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envFileContent, escapeEnvFileValue } from '../../../src/commands/env-file.ts';

test('one NAME=value line per secret, in the order given', () => {
  assert.is(envFileContent([['foo', 'bar'], ['baz', 'haz']]), 'foo=bar\nbaz=haz\n');
  assert.is(envFileContent([['POSTGRES_PASSWORD', 'SEXTANT-CANARY-DB-PASSWORD']]), 'POSTGRES_PASSWORD=SEXTANT-CANARY-DB-PASSWORD\n');
});

test('no secrets: a single newline, never an empty file', () => {
  assert.is(envFileContent([]), '\n');
});

test("'#' is not escaped, even before $ or {", () => {
  assert.is(envFileContent([['foo', '#$foo'], ['bar', '#{bar}']]), 'foo=#$foo\nbar=#{bar}\n');
  assert.is(escapeEnvFileValue('a#@b'), 'a#@b');
});

test('double quotes stay literal; backslashes and newlines are dumped', () => {
  assert.is(escapeEnvFileValue('say "hi"'), 'say "hi"');
  assert.is(envFileContent([['foo', 'hello\\nthere']]), 'foo=hello\\\\nthere\n');
  assert.is(envFileContent([['foo', 'hello\nthere']]), 'foo=hello\\nthere\n');
  assert.is(envFileContent([['RAILS_MASTER_KEY', 'abc$123"x\n']]), 'RAILS_MASTER_KEY=abc$123"x\\n\n');
  assert.is(escapeEnvFileValue('tab\there\r\x07\x1b\x00\x7f'), 'tab\\there\\r\\a\\e\\x00\\x7F');
  assert.is(escapeEnvFileValue("it's `x` $(y)"), "it's `x` $(y)");
});

test('the un-escaping happens on the dumped text, as in Kamal (backslash before " or #)', () => {
  // dump of \" is \\\" ; Kamal's gsub turns the last \" into ", leaving \\" .
  assert.is(escapeEnvFileValue('\\"'), '\\\\"');
  // dump of \#{ is \\\#{ ; the \# becomes #, leaving \\#{ .
  assert.is(escapeEnvFileValue('\\#{x}'), '\\\\#{x}');
});

test('non-ASCII runs are kept as they are', () => {
  const chinese = '你好 means hello, "欢迎" means welcome, that\'s simple! 😃 {smile}';
  assert.is(envFileContent([['foo', chinese]]), `foo=${chinese}\n`);
  const japanese = 'こんにちは means hello, "ようこそ" means welcome, that\'s simple! 😃 {smile}';
  assert.is(envFileContent([['foo', japanese]]), `foo=${japanese}\n`);
  const korean = '안녕하세요 means hello, "어서 오십시오" means welcome, that\'s simple! 😃 {smile}';
  assert.is(envFileContent([['foo', korean]]), `foo=${korean}\n`);
  assert.is(escapeEnvFileValue('é\nü"'), 'é\\nü"');
});

test.run();
