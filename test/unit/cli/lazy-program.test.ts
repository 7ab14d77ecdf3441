// The CLI loads only the part of its command tree that the first word names (program.ts's
// COMMAND_MODULES): the table must say exactly what each module adds, and the whole tree is the
// modules together, in the table's order, with no name twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { buildProgram, COMMAND_MODULES, newCommand } from '../../../src/cli/program.ts';
import { runCli } from '../../../src/cli/run.ts';

const names = (program: { commands: ReadonlyArray<{ name(): string }> }) => program.commands.map((c) => c.name());

test('each module adds exactly the top-level commands the table lists for it', async () => {
  for (const entry of COMMAND_MODULES) {
    const ctx = { io: captureIO('/tmp') };
    const program = newCommand('sextant', ctx);
    (await entry.load())(program, ctx);
    assert.equal(names(program).sort(), [...entry.names].sort(), entry.names.join(', '));
  }
});

test('the whole tree is every module once; a first word that is a command loads its module only', async () => {
  const all = names(await buildProgram({ io: captureIO('/tmp') }));
  assert.equal(all.length, new Set(all).size);
  assert.equal(all.sort(), COMMAND_MODULES.flatMap((m) => m.names).sort());
  assert.equal(names(await buildProgram({ io: captureIO('/tmp') }, ['version'])).sort(), ['config', 'docs', 'schema', 'version']);
  assert.equal(names(await buildProgram({ io: captureIO('/tmp') }, ['-c', 'x.yml', 'version'])).length, all.length, 'an option first: the whole tree');
  assert.equal(names(await buildProgram({ io: captureIO('/tmp') }, ['--help'])).length, all.length);
});

test('sextant version runs from its module alone', async () => {
  const io = captureIO('/tmp');
  assert.is(await runCli(['version'], io), 0);
});

test.run();
