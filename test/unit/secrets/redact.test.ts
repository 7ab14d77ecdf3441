// redactValues hides every secret value in a text. The hard cases are values that share
// characters: one inside another, one the prefix of another, two that overlap. In each, no
// character of any value may remain visible.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MIN_REDACTED_LENGTH, REDACTED, redactValues } from '../../../src/secrets/index.ts';

const R = REDACTED;

test('a value that starts another is hidden with the longer one whole (whatever the order given)', () => {
  for (const values of [['abcd', 'abcdefgh'], ['abcdefgh', 'abcd']]) {
    assert.is(redactValues('x abcdefgh y', values), `x ${R} y`, values.join(','));
    assert.is(redactValues('x abcd y', values), `x ${R} y`, values.join(','));
  }
});

test('a value that ends or sits inside another is hidden with the longer one whole', () => {
  for (const values of [['efgh', 'abcdefgh'], ['cdef', 'abcdefgh'], ['abcdefgh', 'cdef']]) {
    assert.is(redactValues('[abcdefgh]', values), `[${R}]`, values.join(','));
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
  assert.is(redactValues('x aaaaa y', ['aaaa']), `x ${R} y`);
});

test('every occurrence is hidden; separate occurrences stay separate', () => {
  assert.is(redactValues('pw=s3cret; again s3cret.', ['s3cret']), `pw=${R}; again ${R}.`);
  assert.is(redactValues('one1two2', ['one1', 'two2']), `${R}${R}`);
});

test('regular-expression characters in values are taken literally', () => {
  assert.is(redactValues('a.bc a+bc (x|y) $1$2 [zz] \\d\\w', ['a.bc', '(x|y)', '$1$2', '[zz]', '\\d\\w']), `${R} a+bc ${R} ${R} ${R} ${R}`);
  assert.is(redactValues('axbc', ['a.bc']), 'axbc');
});

test('empty values and texts without a value are left alone', () => {
  assert.is(redactValues('nothing here', ['', 'absent']), 'nothing here');
  assert.is(redactValues('', ['xxxx']), '');
  assert.is(redactValues('text', []), 'text');
});

test('a value shorter than MIN_REDACTED_LENGTH is not hidden by value: it would garble ordinary words', () => {
  assert.is(MIN_REDACTED_LENGTH, 4);
  assert.is(redactValues('every y in a repository', ['y']), 'every y in a repository');
  assert.is(redactValues('port 443 on', ['443', 'on']), 'port 443 on');
  assert.is(redactValues('pin 1234', ['1234']), `pin ${R}`);
});

test('a short value inside a long one is still hidden with it: the long value decides', () => {
  assert.is(redactValues('<xaby> ab', ['ab', 'xaby']), `<${R}> ab`);
});

test.run();
