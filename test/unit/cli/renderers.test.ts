import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EngineBus } from '../../../src/engine/events.ts';
import { attachJsonRenderer, attachPlainRenderer } from '../../../src/cli/render/plain.ts';
import { attachTtyRenderer } from '../../../src/cli/render/tty.ts';
import { runDeployment } from '../../../src/engine/run.ts';
import { fakeHandlers, permanent, plan } from '../machines/fakes.ts';

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

function fakeTerminal() {
  const chunks: string[] = [];
  const stream = { isTTY: true, columns: 120, rows: 40, write: (chunk: string) => chunks.push(chunk) > 0, on: () => stream, once: () => stream, off: () => stream, removeListener: () => stream };
  return { stream: stream as unknown as NodeJS.WriteStream, screen: () => stripAnsi(chunks.join('')) };
}

function run(bus: EngineBus) {
  const at = Date.now();
  bus.emit('run.started', { runId: 'r', command: 'deploy', version: 'v2', hosts: ['10.0.0.1', '10.0.0.2'], at });
  bus.emit('stage.started', { stage: 'boot', at });
  bus.emit('host.state', { host: '10.0.0.1', state: 'boot.web.health.running', attempt: 1, at });
  bus.emit('retry', { host: '10.0.0.2', step: 'pull', attempt: 2, delayMs: 1000, at });
  bus.emit('rollback', { host: '10.0.0.2', role: 'web', reason: 'unhealthy', at });
  bus.emit('command.start', { id: 1, host: '10.0.0.1', line: 'docker run secret-free', at });
  bus.emit('run.finished', { runId: 'r', ok: false, failures: [{ host: '10.0.0.2', role: 'web', stage: 'health', message: 'target failed to become healthy' }], durationMs: 1234, at });
}

test('the live view ends with one ✔/✖ line per host, with retries and rollbacks', () => {
  const terminal = fakeTerminal();
  const bus = new EngineBus();
  const detach = attachTtyRenderer(bus, terminal.stream);
  run(bus);
  detach();
  const screen = terminal.screen();
  assert.match(screen, '✖ Failed in 1.2s');
  assert.match(screen, /✔ 10\.0\.0\.1\s+\d+\.\ds/);
  assert.match(screen, /✖ 10\.0\.0\.2\s+\d+\.\ds\s+retries 1\s+rolled back\s+target failed to become healthy/);
});

test('plain lines for pipes and CI', () => {
  const lines: string[] = [];
  const bus = new EngineBus();
  attachPlainRenderer(bus, (l) => lines.push(l));
  run(bus);
  assert.ok(lines.includes('== boot'));
  assert.ok(lines.includes('[10.0.0.1] $ docker run secret-free'));
  assert.ok(lines.includes('[10.0.0.2] pull: transient failure, try 2 in 1.0s'));
  assert.ok(lines.includes('[10.0.0.2] web: rolling back (unhealthy)'));
  assert.ok(lines.includes('✖ 10.0.0.2 web health: target failed to become healthy'));
  assert.is(lines.at(-1), '✖ Failed in 1.2s');
});

test('--format json: one JSON event per line, redacted', () => {
  const lines: string[] = [];
  const bus = new EngineBus((text) => text.replaceAll('hunter2', '[REDACTED]'));
  attachJsonRenderer(bus, (l) => lines.push(l));
  bus.emit('command.start', { id: 7, host: 'h', line: 'docker login -p hunter2', at: 1 });
  assert.equal(JSON.parse(lines[0] as string), { type: 'command.start', id: 7, host: 'h', line: 'docker login -p [REDACTED]', at: 1 });
});

// The stage lines come from the machines' own events, not from hand-written ones: a real
// deployment (fake steps) shows each stage of its plan once, boot included, and no end state.
test('plain lines from a real run: one line per stage of the plan, boot included; retries and rollbacks as they happen', async () => {
  const lines: string[] = [];
  const bus = new EngineBus();
  attachPlainRenderer(bus, (l) => lines.push(l));
  const thePlan = plan();
  const output = await runDeployment({
    plan: thePlan,
    bus,
    handlers: fakeHandlers({
      calls: [],
      behave: (call, attempt) => {
        if (call === 'h2 pull' && attempt === 1) throw Object.assign(new Error('connection reset'), { kind: 'transient' });
        if (call === 'h2 workers health') throw permanent('unhealthy');
      },
    }),
  });
  assert.is(output.ok, false);
  const stages = thePlan.stages.slice(0, thePlan.stages.indexOf('boot') + 1);
  assert.equal(lines.filter((l) => l.startsWith('== ')), stages.map((stage) => `== ${stage}`));
  assert.ok(lines.includes('[h2] pull: transient failure, try 2 in 0.0s'), lines.join('\n'));
  assert.ok(lines.includes('[h2] workers: rolling back (unhealthy)'));
  assert.ok(lines.includes('✖ h2 workers health: unhealthy'));
});

test.run();
