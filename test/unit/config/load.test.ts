import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, deepMergeForTest, destinationConfigFile, loadConfig, readConfigFiles, renderErb } from './load-imports.ts';
import { tempProject } from './temp-project.ts';

const VALID = 'service: app\nimage: dhh/app\nservers: [1.1.1.1]\nregistry: {username: u, password: p}\nbuilder: {arch: amd64}\n';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

test('ERB: ENV[...] in both quote styles, missing variables render empty', () => {
  const env = { A: 'alpha', B: 'beta' };
  assert.is(renderErb('x: <%= ENV["A"] %>, <%= ENV[\'B\'] %>, [<%= ENV["C"] %>]', env).text, 'x: alpha, beta, []');
  assert.is(renderErb('<%=ENV[ "A" ]%>', env).text, 'alpha');
});

test('ERB: ENV.fetch with and without defaults', () => {
  assert.is(renderErb('<%= ENV.fetch("A") %>', { A: 'x' }).text, 'x');
  assert.is(renderErb('<%= ENV.fetch("A", "fallback") %>', {}).text, 'fallback');
  assert.is(renderErb("<%= ENV.fetch('A', 'single') %>", {}).text, 'single');
  assert.is(renderErb('<%= ENV.fetch("PORT", 3000) %>', {}).text, '3000');
  assert.is(renderErb('<%= ENV.fetch("A", "d") %>', { A: '' }).text, '', 'a set but empty variable is used');
  assert.throws(() => renderErb('a\n<%= ENV.fetch("NOPE") %>', {}), /line 2: ENV\.fetch\("NOPE"\) failed/);
});

test('ERB: comments, literal <%%, -%> trimming, and refusing other Ruby', () => {
  assert.is(renderErb('a<%# note %>b', {}).text, 'ab');
  assert.is(renderErb('<%% literal %>', {}).text, '<% literal %>');
  assert.is(renderErb('<%# gone -%>\nnext\n', {}).text, 'next\n');
  assert.is(renderErb('v: <%= ENV["A"] -%>\nw\n', { A: '1' }).text, 'v: 1w\n');
  assert.throws(() => renderErb('x\ny\n<%= 1 + 1 %>', {}), /line 3: unsupported ERB <%= 1 \+ 1 %>: only ENV\[\.\.\.\] \/ ENV\.fetch\(\.\.\.\) are supported/);
  assert.throws(() => renderErb('<% x = 1 %>', {}), /line 1: unsupported ERB <% x = 1 %>/);
  assert.throws(() => renderErb('<%= ENV["A"].upcase %>', {}), /unsupported ERB/);
  assert.throws(() => renderErb('<%= `whoami` %>', {}), /unsupported ERB/);
});

test('ERB: output lines map back to source lines', () => {
  const rendered = renderErb('a: <%= ENV["M"] %>\nb: 1\n<%# x -%>\nc: 2\n', { M: '1\n2' });
  assert.is(rendered.text, 'a: 1\n2\nb: 1\nc: 2\n');
  assert.equal(rendered.sourceLines.slice(0, 4), [1, 1, 2, 4]);
});

test('deep merge: hashes key by key, arrays and scalars replaced, null replaces', () => {
  const merged = deepMergeForTest(
    { a: { b: 1, c: [1, 2], d: { e: 1 } }, f: 1, g: { h: 1 } },
    { a: { c: [3], d: { x: 2 } }, f: { now: 'hash' }, g: null },
  );
  assert.equal(merged, { a: { b: 1, c: [3], d: { e: 1, x: 2 } }, f: { now: 'hash' }, g: null });
  assert.equal(Object.keys(deepMergeForTest({ a: 1, b: 2 }, { c: 3, a: 4 })), ['a', 'b', 'c'], 'existing keys keep their place');
});

test('destination file name follows sub_ext', () => {
  assert.is(destinationConfigFile('config/deploy.yml', 'staging'), 'config/deploy.staging.yml');
  assert.is(destinationConfigFile('deploy.yaml', 'prod'), 'deploy.prod.yml');
  assert.is(destinationConfigFile('config/kamal', 'prod'), 'config/kamal.prod.yml');
});

test('YAML: anchors, aliases, merge keys, Psych booleans and root x- keys', () => {
  const project = tempProject({
    'config/deploy.yml': `x-defaults: &defaults\n  memory: 1g\n${VALID}labels:\n  on: yes\n  short: n\n  dot: .\nservers:\n  web:\n    hosts: [1.1.1.1]\n    options:\n      <<: *defaults\n      cpus: 2\n`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    assert.equal(config.roles[0]?.options, [['memory', '1g'], ['cpus', '2']]);
    // Psych reads the key `on` as the boolean true; `n` stays a string; a lone `.` is a string.
    assert.equal(config.labels, [['true', 'true'], ['short', 'n'], ['dot', '.']]);
    const { raw } = readConfigFiles({ cwd: project.dir, env: {} });
    assert.not.ok('x-defaults' in raw, 'x- keys are set aside');
  } finally {
    project.cleanup();
  }
});

test('every problem of a file is reported together, in a readable message', () => {
  const project = tempProject({
    'config/deploy.yml': `${VALID.replace('servers: [1.1.1.1]', 'servers:\n  web:\n    hosts:\n      - 1.1.1.1\n      - 1.1.1.2\n      - [1.1.1.3]')}proxy: true\n`,
  });
  try {
    const error = errorOf(() => loadConfig({ cwd: project.dir, env: {} }));
    assert.is(error.exitCode, 1);
    assert.is(error.message, 'config/deploy.yml: 2 errors\n  servers/web/hosts/2: should be a string or a hash\n  proxy: should be a hash');
    assert.equal(error.issues, [
      { file: 'config/deploy.yml', path: 'servers/web/hosts/2', message: 'should be a string or a hash' },
      { file: 'config/deploy.yml', path: 'proxy', message: 'should be a hash' },
    ]);
  } finally {
    project.cleanup();
  }
});

test('issues are grouped by the file that wrote the offending value', () => {
  const project = tempProject({
    'config/deploy.yml': `${VALID}deploy_timeout: soon\n`,
    'config/deploy.production.yml': 'proxy: false\nservers:\n  - [nested]\n',
  });
  try {
    const error = errorOf(() => loadConfig({ cwd: project.dir, env: {}, destination: 'production' }));
    assert.ok(error.message.includes('config/deploy.yml: 1 error\n  deploy_timeout: should be an integer'), error.message);
    assert.ok(error.message.includes('config/deploy.production.yml: 2 errors'), error.message);
    assert.ok(error.issues.some((i) => i.file === 'config/deploy.production.yml' && i.path === 'servers/0'));
    assert.ok(error.issues.some((i) => i.file === 'config/deploy.production.yml' && i.path === 'proxy'));
  } finally {
    project.cleanup();
  }
});

test('a custom config file path is reported as given', () => {
  const project = tempProject({ 'deploy/app.yml': VALID, 'deploy/app.beta.yml': 'bogus: 1\n' });
  try {
    const config = loadConfig({ cwd: project.dir, env: {}, configFile: 'deploy/app.yml' });
    assert.equal(config.files, ['deploy/app.yml']);
    const error = errorOf(() => loadConfig({ cwd: project.dir, env: {}, configFile: 'deploy/app.yml', destination: 'beta' }));
    assert.is(error.message, 'deploy/app.beta.yml: 1 error\n  unknown key: bogus');
    const missing = errorOf(() => loadConfig({ cwd: project.dir, env: {}, configFile: 'deploy/app.yml', destination: 'gamma' }));
    assert.is(missing.message, 'Configuration file not found in deploy/app.gamma.yml');
  } finally {
    project.cleanup();
  }
});

test('require_destination is satisfied by a destination', () => {
  const project = tempProject({ 'config/deploy.yml': `${VALID}require_destination: true\n`, 'config/deploy.production.yml': 'servers: [2.2.2.2]\n' });
  try {
    const config = loadConfig({ cwd: project.dir, env: {}, destination: 'production' });
    assert.is(config.primaryHost, '2.2.2.2');
    assert.is(errorOf(() => loadConfig({ cwd: project.dir, env: {} })).message, 'config/deploy.yml: 1 error\n  require_destination: You must specify a destination');
  } finally {
    project.cleanup();
  }
});

test('Kamal "strings" accept numbers and booleans; integers must be integers', () => {
  const project = tempProject({
    'config/deploy.yml': `${VALID.replace('service: app', 'service: 42')}env:\n  PORT: 3000\n  FLAG_ON: true\n  FLAG_OFF: false\nssh:\n  port: "2200"\n`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    assert.is(config.service, '42');
    assert.equal(config.env.clear, [['PORT', '3000'], ["FLAG_ON", "true"], ["FLAG_OFF", false]]);
    assert.is(config.ssh.port, 2200);
  } finally {
    project.cleanup();
  }
});

test.run();
