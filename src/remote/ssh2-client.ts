import type { Client } from 'ssh2';

// ssh2 is loaded when the first connection opens, not when the CLI starts: commands that never
// reach a server (`config`, `version`, `docs`, `init`, `secrets`, …) do not pay its load time and
// memory (its crypto binding and WebAssembly module).
let loading: Promise<typeof import('ssh2')> | undefined;

export async function newSshClient(): Promise<Client> {
  const ssh2 = await (loading ??= import('ssh2'));
  // ssh2 is CommonJS: its exports are the default export of the namespace.
  const { Client: SshClient } = (ssh2 as unknown as { default?: typeof import('ssh2') }).default ?? ssh2;
  return new SshClient();
}
