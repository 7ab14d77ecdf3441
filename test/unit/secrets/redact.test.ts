// redactValues hides every secret value in a text. The hard cases are values that share
// characters: one inside another, one the prefix of another, two that overlap. In each, no
// character of any value may remain visible.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REDACTED, redactValues } from '../../../src/secrets/index.ts';

const R = REDACTED;

test('a value that starts another is hidden with the longer one whole (whatever the order given)', () => {
  for (const values of [['abc', 'abcdef'], ['abcdef', 'abc']]) {
    assert.is(redactValues('x abcdef y', values), `x ${R} y`, values.join(','));
    assert.is(redactValues('x abc y', values), `x ${R} y`, values.join(','));
  }
});

test('a value that ends or sits inside another is hidden with the longer one whole', () => {
  for (const values of [['def', 'abcdef'], ['cd', 'abcdef'], ['abcdef', 'cd']]) {
    assert.is(redactValues('[abcdef]', values), `[${R}]`, values.join(','));
  }
});

test('two values that overlap without containing each other leave no character of either', () => {
  // "abcd" and "cdef" share "cd": hiding only "abcd" would leave "ef", the tail of "cdef".
  for (const values of [['abcd', 'cdef'], ['cdef', 'abcd']]) {
    const out = redactValues('<abcdef>', values);
    assert.is(out, `<${R}>`, values.join(','));
  }
  assert.is(redactValues('p4ss-w0rd', ['p4ss-w', 's-w0rd']), R);
});

test('a value repeated with overlaps ("aa" in "aaa") hides the whole run', () => {
  assert.is(redactValues('x aaa y', ['aa']), `x ${R} y`);
});

test('every occurrence is hidden; separate occurrences stay separate', () => {
  assert.is(redactValues('pw=s3cret; again s3cret.', ['s3cret']), `pw=${R}; again ${R}.`);
  assert.is(redactValues('onetwo', ['one', 'two']), `${R}${R}`);
});

test('regular-expression characters in values are taken literally', () => {
  assert.is(redactValues('a.b a+b (x|y) $1 [z] \\d', ['a.b', '(x|y)', '$1', '[z]', '\\d']), `${R} a+b ${R} ${R} ${R} ${R}`);
  assert.is(redactValues('axb', ['a.b']), 'axb');
});

test('empty values and texts without a value are left alone', () => {
  assert.is(redactValues('nothing here', ['', 'absent']), 'nothing here');
  assert.is(redactValues('', ['x']), '');
  assert.is(redactValues('text', []), 'text');
});

test.run();
