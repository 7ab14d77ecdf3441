import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chomp, isBlank, reverseString, rubyDecode64, rubySplit, rubyStrip } from '../../../src/secrets/ruby.ts';

test('chomp removes exactly one trailing line break', () => {
  assert.is(chomp('a\n\n'), 'a\n');
  assert.is(chomp('a\r\n'), 'a');
  assert.is(chomp('a\r'), 'a');
  assert.is(chomp('a'), 'a');
});

test('strip, split and blank follow Ruby/ActiveSupport', () => {
  assert.is(rubyStrip(' \t\n\0a b\v\f\r '), 'a b');
  assert.equal(rubySplit('a/b//', '/'), ['a', 'b']);
  assert.equal(rubySplit('/a', '/'), ['', 'a']);
  assert.equal(rubySplit('', '/'), []);
  assert.ok(isBlank(' \n'));
  assert.ok(isBlank(undefined));
  assert.not.ok(isBlank(' x '));
});

test('reverse works on characters', () => {
  assert.is(reverseString('abc✓é'), 'é✓cba');
  assert.is(reverseString('a😀b'), 'b😀a');
});

test('decode64 is lenient like Ruby Base64.decode64', () => {
  assert.is(rubyDecode64('c2VjcmV0MTIz').toString(), 'secret123');
  assert.is(rubyDecode64('c2Vj\ncmV0\nMTIz\n').toString(), 'secret123');
  assert.is(rubyDecode64('c2VjcmV0MQ==').toString(), 'secret1');
  assert.is(rubyDecode64('c2VjcmV0MQ==Zm9v').toString(), 'secret1'); // stops at the padding
  assert.is(rubyDecode64('c2VjcmV0MQ').toString(), 'secret1'); // missing padding is fine
  assert.is(rubyDecode64('=c2VjcmV0MTIz').toString(), 'secret123'); // "=" before a quantum is skipped
  assert.is(rubyDecode64('c2Vj*cmV0#MTIz').toString(), 'secret123'); // other characters are skipped
});

test.run();
