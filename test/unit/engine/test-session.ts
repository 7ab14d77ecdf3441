// A session as the engine's unit tests open it: the project's config, every host selected, no
// secrets, hooks skipped, no dry run, version v2 of a deploy, over the test's own transports.
// `overrides` changes any of that.
import { selectHosts, type Config } from '../../../src/config/index.ts';
import { openSession, type Session, type SessionRequest } from '../../../src/engine/session.ts';
import type { Transport } from '../../../src/remote/transport.ts';
import { createSecrets } from '../../../src/secrets/index.ts';

export function testSession(config: Config, transports: ((host: string) => Transport) | undefined, overrides: Partial<SessionRequest> = {}): Session {
  return openSession({
    config,
    selection: selectHosts(config),
    secrets: createSecrets(new Map(), []),
    version: () => 'v2',
    command: 'deploy',
    cwd: config.cwd,
    env: {},
    skipHooks: true,
    dryRun: false,
    ...(transports ? { transports } : {}),
    ...overrides,
  });
}
