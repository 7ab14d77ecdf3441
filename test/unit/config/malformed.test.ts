import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { UserError } from '../../../src/errors.ts';
import { malformedCases } from './malformed-cases.ts';
import { tempProject } from './temp-project.ts';

function matches(text: string, expected: RegExp | string): boolean {
  return typeof expected === 'string' ? text.includes(expected) : expected.test(text);
}

test('the table has at least 70 cases with unique names', () => {
  assert.ok(malformedCases.length >= 70, `only ${malformedCases.length} cases`);
  assert.is(new Set(malformedCases.map((c) => c.name)).size, malformedCases.length);
});

for (const kase of malformedCases) {
  test(`malformed: ${kase.name}`, () => {
    const project = tempProject(kase.files);
    try {
      let caught: unknown;
      try {
        loadConfig({ cwd: project.dir, destination: kase.destination, env: { ...(kase.env ?? {}) } });
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
      const error = caught as ConfigError;
      assert.ok(error instanceof UserError);
      assert.is(error.exitCode, 1);
      const { file, path, message } = kase.expect;
      const issue = error.issues.find((candidate) => candidate.file === file && candidate.path === path && matches(candidate.message, message));
      assert.ok(issue, `no issue ${file} ${path}: ${String(message)} among\n${JSON.stringify(error.issues, null, 2)}`);
      assert.ok(error.message.includes(file), `message does not name ${file}:\n${error.message}`);
      if (path) assert.ok(error.message.includes(`${path}: `), `message does not name ${path}:\n${error.message}`);
      assert.ok(matches(error.message, message), `message lacks ${String(message)}:\n${error.message}`);
      assert.not.match(error.message, /Invalid input|expected \w+, received/);
    } finally {
      project.cleanup();
    }
  });
}

test.run();
