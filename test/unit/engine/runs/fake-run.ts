// Fake deployments with a real run record: the engine's runRecorded/resumeRecorded over a session
// whose steps are fakes (no server). Shared by the run-record tests and the child process they kill.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeployPlan } from '../../../../machines/plan.ts';
import type { StepEnv } from '../../../../src/engine/context.ts';
import { EngineBus } from '../../../../src/engine/events.ts';
import { RunStore } from '../../../../src/engine/run-store.ts';
import type { StepHandlers } from '../../../../src/engine/run.ts';
import { runLockMessage, type Session } from '../../../../src/engine/session.ts';
import { redactValues } from '../../../../src/secrets/index.ts';
import { plan as basePlan } from '../../machines/fakes.ts';

export const SECRET = 'pw-canary-9f8e7d-run-record';
export const redact = (text: string) => redactValues(text, [SECRET]);

export function tempRunsDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'sextant-runs-')), '.kamal', 'runs');
}

export function testPlan(runId: string, overrides: Partial<DeployPlan> = {}): DeployPlan {
  return basePlan({ runId, ...overrides });
}

export const fakeConfig = { service: 'app', serviceAndDestination: 'app', runDirectory: '.kamal', cwd: '/somewhere', roles: [{ name: 'web' }] };

export function fakeSession(runsDir: string, runId: string, config: object = fakeConfig): Session {
  const bus = new EngineBus(redact);
  const store = new RunStore(runsDir, runId, redact);
  const env = {
    config,
    dryRun: false,
    lockInherited: false,
    lockMessage: runLockMessage(runId),
    secrets: { names: () => ['KAMAL_REGISTRY_PASSWORD'], redact },
  } as unknown as StepEnv;
  return { env, bus, runId, store, close: async () => {}, connectEarly: () => {} };
}

// Step handlers that record each call as "host stage", "host role step", "hook name", "build",
// log a command with the secret in it (which the record must redact), and behave as told.
export function fakeHandlers(bus: EngineBus, calls: string[], behave: (call: string, attempt: number) => void | Promise<void> = () => {}): StepHandlers {
  let id = 0;
  const act = async (host: string, call: string, attempt: number) => {
    calls.push(`${call}${attempt > 1 ? ` @${attempt}` : ''}`);
    const n = ++id;
    bus.emit('command.start', { id: n, host, line: `docker login -p ${SECRET} ${call}`, at: Date.now() });
    bus.emit('command.output', { id: n, host, stream: 'stdout', text: `did ${call}\n` });
    try {
      await behave(call, attempt);
      bus.emit('command.end', { id: n, host, exitCode: 0, durationMs: 1 });
    } catch (error) {
      bus.emit('command.end', { id: n, host, exitCode: 1, durationMs: 1 });
      throw error;
    }
  };
  return {
    build: () => act('local', 'build', 1),
    hook: (input) => act('local', `hook ${input.name}`, 1),
    accessories: () => act('local', 'accessories', 1),
    hostStep: (input) => act(input.host, `${input.host} ${input.stage}`, input.attempt),
    swapStep: async (input) => {
      await act(input.host, `${input.host} ${input.role} ${input.step}`, input.attempt);
      return { oldVersion: 'v1' };
    },
  };
}

export const request = { argv: ['deploy'], configFile: 'config/deploy.yml', skipPush: false, skipHooks: false };
