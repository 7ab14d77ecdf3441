// `sextant rollback` with no VERSION on the testbed: after deploys of r1, r2, r3 it lists the three
// versions newest first with r3 marked live; driven through a pseudo-terminal (util-linux `script`)
// the second-newest is chosen and then serves on every server; without a terminal it fails with the
// list and changes nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { makeProject, removeApp, type Project } from './project.ts';
import { answer, said, sextantProcess } from './runs-helpers.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const project = makeProject(testbed, { service: 'irollback', servers });
const host = `${project.service}.test`;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// The CLI with a pseudo-terminal as its stdin and stdout (`script -q -e -c … /dev/null`). `reply`
// sees the output so far and returns a line to type once, when it is ready for one.
function onTerminal(project: Project, args: string[], reply: (output: string) => string | undefined): Promise<{ code: number | null; output: string }> {
  const line = [process.execPath, join(repo, 'bin/sextant.js'), ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', line, '/dev/null'], {
      cwd: project.dir,
      // CI=true: plain progress lines rather than the live TTY view, so the output is readable here.
      env: { ...process.env, CI: 'true' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let replied = false;
    const collect = (data: Buffer) => {
      output += data.toString();
      if (replied) return;
      const text = reply(output);
      if (text !== undefined) {
        replied = true;
        child.stdin.write(`${text}\n`);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    // stdin stays open until the CLI has finished: `script` would end the session at its EOF.
    // The terminal's line ends and readline's cursor moves (`ESC[1G`, `ESC[0J`) are left out.
    child.on('close', (code) => resolve({ code, output: output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r+\n/g, '\n') }));
  });
}

const answers = () => Promise.all(servers.map((server) => answer(server, host)));

test.before(async () => {
  await removeApp(project, servers, serverShell);
});

test.after(async () => {
  await removeApp(project, servers, serverShell);
  project.cleanup();
});

test('deploys of r1, r2 and r3 leave three versions on every server, r3 live', async () => {
  for (const version of ['r1', 'r2', 'r3']) {
    const deploy = await sextantProcess(project, ['deploy', '--version', version]);
    assert.is(deploy.code, 0, said(deploy));
  }
  assert.equal(await answers(), servers.map(() => '200 r3'));
});

test('without a terminal: fails with the list, newest first, r3 live; nothing changes', async () => {
  const result = await sextantProcess(project, ['rollback']);
  assert.is(result.code, 1, said(result));
  assert.match(result.stderr, /no terminal to ask on/);
  assert.match(result.stderr, / {3}1\) r3 {2}created [^\n]*\(live\)\n {3}2\) r2 {2}created [^\n(]*\n {3}3\) r1 {2}created [^\n(]*\nRun: sextant rollback VERSION/);
  assert.equal(await answers(), servers.map(() => '200 r3'));
});

test('on a terminal: the list, the question, answer 2 → r2 is live on every server', async () => {
  const result = await onTerminal(project, ['rollback'], (output) => (output.includes('Roll back to which version?') ? '2' : undefined));
  assert.is(result.code, 0, result.output.slice(-4000));
  const listed = result.output.indexOf('Versions on the hosts, newest first:');
  assert.ok(listed >= 0, result.output.slice(-4000));
  const shown = result.output.slice(listed);
  assert.ok(/^Versions on the hosts, newest first:\n {3}1\) r3 [^\n]*\(live\)\n {3}2\) r2 [^\n(]*\n {3}3\) r1 [^\n(]*\nRoll back to which version\? \[1-3/.test(shown), shown.slice(0, 600));
  assert.equal(await answers(), servers.map(() => '200 r2'));
  // The chosen version is what runs now, and the next listing says so.
  const again = await sextantProcess(project, ['rollback']);
  assert.match(again.stderr, / {3}\d\) r2 {2}created [^\n]*\(live\)/);
  assert.not.match(again.stderr, /r3 {2}created [^\n]*\(live\)/);
});

test.run();
