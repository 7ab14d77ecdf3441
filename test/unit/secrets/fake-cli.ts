// Puts fake vault CLIs first on PATH for adapter tests (see test/fixtures/secrets/fake-cli.mjs).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FAKE_CLI = fileURLToPath(new URL('../../fixtures/secrets/fake-cli.mjs', import.meta.url));

export interface FakeResponse {
  argv: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export interface FakeCall {
  argv: string[];
  env: Record<string, string>;
  response: number;
}

export interface FakeCli {
  /** Environment to run the adapter with: PATH has only the fakes (plus /bin for the wrapper). */
  env: Record<string, string>;
  calls(): FakeCall[];
  argvs(): string[][];
  cleanup(): void;
}

export function fakeCli(
  tools: string[],
  responses: FakeResponse[],
  options: { recordEnv?: string[]; env?: Record<string, string> } = {},
): FakeCli {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-fake-cli-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.jsonl');
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify({ log, recordEnv: options.recordEnv ?? [], responses }));
  mkdirSync(bin);
  for (const tool of tools) {
    const wrapper = join(bin, tool);
    writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${FAKE_CLI}' '${tool}' "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  const calls = (): FakeCall[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as FakeCall)
      : [];
  return {
    env: { PATH: bin, FAKE_CLI_SCENARIO: scenario, HOME: dir, ...options.env },
    calls,
    argvs: () => calls().map((call) => call.argv),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
