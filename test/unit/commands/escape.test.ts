// Escaping rules, one by one: Kamal's escape_shell_value (Ruby String#dump), bare words, single and
// double quotes, secrets and redaction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  argv,
  bare,
  dquote,
  quoted,
  raw,
  secret,
  sensitive,
  squote,
  subst,
  value,
  word,
  type Part,
} from '../../../src/commands/command.ts';
import { escapeShellValue, isShellSafe, render, renderForDisplay, renderWord, singleQuote } from '../../../src/commands/shell.ts';

const one = (part: Part) => renderWord(word(part));

test("Kamal's own escape_shell_value expectations (test/utils_test.rb)", () => {
  assert.is(escapeShellValue('foo'), '"foo"');
  assert.is(escapeShellValue('`foo`'), '"\\`foo\\`"');
  assert.is(escapeShellValue('${PWD}'), '"${PWD}"');
  assert.is(escapeShellValue('${PWD]'), '"\\${PWD]"');
  assert.is(escapeShellValue('$(PWD)'), '"\\$(PWD)"');
  assert.is(escapeShellValue('$PWD'), '"\\$PWD"');
  assert.is(escapeShellValue('^(https?://)www.example.com/(.*)$'), '"^(https?://)www.example.com/(.*)\\$"');
  assert.is(escapeShellValue('https://example.com/$2'), '"https://example.com/\\$2"');
  // registry_test.rb "registry login escape password"
  assert.is(escapeShellValue(`more-secret'"`), `"more-secret'\\""`);
  // utils_test.rb "argumentize": foo="\`bar\`"
  assert.is(escapeShellValue('`bar`'), '"\\`bar\\`"');
});

test('deliberate difference: only simple ${NAME} groups are left for the shell to expand', () => {
  // Kamal leaves any ${…} group alone (`"${cat /etc/hostname}"`, a bad substitution remotely).
  assert.is(escapeShellValue('${cat /etc/hostname}'), '"\\${cat /etc/hostname}"');
  assert.is(escapeShellValue('${A:-$(id)}'), '"\\${A:-\\$(id)}"');
  assert.is(escapeShellValue('${x[$(id)]}'), '"\\${x[\\$(id)]}"');
  assert.is(escapeShellValue('${!REF}'), '"\\${!REF}"');
  assert.is(escapeShellValue('${HOME}/a'), '"${HOME}/a"');
  assert.is(escapeShellValue('${PORT:-3000}'), '"${PORT:-3000}"');
  assert.is(escapeShellValue('${PORT-3000}'), '"${PORT-3000}"');
  assert.is(escapeShellValue('${}'), '"\\${}"');
});

test('String#dump: quotes, backslashes, #{ #$ #@, control characters', () => {
  assert.is(escapeShellValue('a"b\\c'), '"a\\"b\\\\c"');
  assert.is(escapeShellValue('#{x}'), '"\\#{x}"');
  assert.is(escapeShellValue('#$x'), '"\\#\\$x"');
  assert.is(escapeShellValue('#@x'), '"\\#@x"');
  assert.is(escapeShellValue('# x #'), '"# x #"');
  assert.is(escapeShellValue('a\nb\tc\rd\fe\vf\bg\x07h\x1bi'), '"a\\nb\\tc\\rd\\fe\\vf\\bg\\ah\\ei"');
  assert.is(escapeShellValue('\x00\x01\x1f\x7f'), '"\\x00\\x01\\x1F\\x7F"');
  assert.is(escapeShellValue("it's; a | b && c > d < e * ? ~ ! ( ) [ ] { }"), `"it's; a | b && c > d < e * ? ~ ! ( ) [ ] { }"`);
});

test('non-ASCII runs go outside the quotes', () => {
  assert.is(escapeShellValue('héllo wörld'), '"h"é"llo w"ö"rld"');
  assert.is(escapeShellValue('日本語'), '日本語');
  assert.is(escapeShellValue('é"'), 'é"\\""');
  assert.is(escapeShellValue('#é{'), '"#"é"{"');
  assert.is(escapeShellValue('emoji 🚀!'), '"emoji "🚀"!"');
});

test('empty value is "" (Kamal writes nothing, dropping the argument)', () => {
  assert.is(escapeShellValue(''), '""');
  assert.is(one(value('')), '""');
});

test('value() accepts numbers and booleans like Ruby to_s', () => {
  assert.is(one(value(3000)), '"3000"');
  assert.is(one(value(true)), '"true"');
  assert.is(one(value(1.5)), '"1.5"');
});

test('secret(): like value() but no expansion, and redacted for display', () => {
  assert.is(one(secret('p${HOME}w')), '"p\\${HOME}w"');
  assert.is(one(secret('p"w')), '"p\\"w"');
  assert.is(renderWord(word(secret('x'))), '"x"');
  assert.is(renderWord(word(secret('x')), { redact: true }), '[REDACTED]');
  assert.is(renderWord(word(raw('KEY='), secret('x', 'xxxx')), { redact: true }), 'KEY=xxxx');
  const nested = argv('echo', dquote(subst(argv('printf', secret('hidden')))));
  assert.is(render(nested), '/usr/bin/env echo "$(printf "hidden")"');
  assert.is(renderForDisplay(nested), '/usr/bin/env echo "$(printf [REDACTED])"');
  assert.ok(!renderForDisplay(argv('sh', '-c', quoted(argv('login', secret('hidden'))))).includes('hidden'));
  assert.is(renderWord(word(sensitive(bare('tok'))), { redact: true }), '[REDACTED]');
});

test('bare(): safe text as-is, anything else single-quoted', () => {
  for (const safe of ['registry.example.com/acme/hey:abc1234', '/var/lib/x:/y:ro', 'hey_cache:/rails', 'a=b,c@d%e+f^g', '127.0.0.1:80:80', '-t', '30'])
    assert.is(one(bare(safe)), safe);
  assert.is(one(bare('a b')), "'a b'");
  assert.is(one(bare("it's")), "'it'\\''s'");
  assert.is(one(bare('$(id)')), "'$(id)'");
  assert.is(one(bare('*')), "'*'");
  assert.is(one(bare('{a,b}')), "'{a,b}'");
  assert.is(one(bare('a\nb')), "'a\nb'");
  assert.is(one(bare('é')), "'é'");
  assert.is(one(bare('')), '');
});

test('bare(): ~ and # are safe only after the start of a word', () => {
  assert.is(one(bare('~/data:/data')), "'~/data:/data'");
  assert.is(one(bare('#tag')), "'#tag'");
  assert.is(one(bare('a~b#c')), 'a~b#c');
  assert.is(renderWord(word(raw('x'), bare('~y'))), 'x~y');
  assert.is(renderWord(word(bare(''), bare('~y'))), "'~y'");
  assert.ok(isShellSafe('a#b'));
  assert.ok(!isShellSafe('#b'));
  assert.ok(isShellSafe('#b', false));
});

test('plain strings and numbers in words are bare()', () => {
  assert.is(renderWord(word('name=^', 'app-web-1', raw('$'))), 'name=^app-web-1$');
  assert.is(renderWord(word('--volume=', 'a b')), "--volume='a b'");
  assert.is(render(argv('docker', 'stop', '-t', 30)), 'docker stop -t 30');
  assert.is(render(argv('docker', 'x', null, undefined, false, 'y')), 'docker x y');
});

test('squote() and singleQuote()', () => {
  assert.is(one(squote('host=ssh://a@b')), "'host=ssh://a@b'");
  assert.is(one(squote("a'b")), "'a'\\''b'");
  assert.is(singleQuote(''), "''");
});

test('dquote(): escapes only \\ " $ ` and keeps real newlines', () => {
  assert.is(one(dquote('a\nb')), '"a\nb"');
  assert.is(one(dquote('a"b\\c$d`e')), '"a\\"b\\\\c\\$d\\`e"');
  assert.is(one(dquote("it's { } | ; &")), `"it's { } | ; &"`);
  assert.is(one(dquote('x', raw('\\|'), 'y')), '"x\\|y"');
  assert.is(one(dquote()), '""');
});

test('quoted(): inner command single-quoted with \'\\\'\'', () => {
  assert.is(one(quoted(argv('docker', 'ps', '--format', raw("'{{.Names}}'")))), `'docker ps --format '\\''{{.Names}}'\\'''`);
  assert.is(render(argv('sh', '-c', quoted(argv('echo', bare("it's"))))), `/usr/bin/env sh -c 'echo '\\''it'\\''\\'\\'''\\''s'\\'''`);
});

test.run();
