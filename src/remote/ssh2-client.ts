import { createRequire } from 'node:module';
import type { Client } from 'ssh2';

// ssh2 is loaded when the first connection opens, not when the CLI starts: commands that never
// reach a server (`config`, `version`, `docs`, `init`, `secrets`, …) do not pay its load time and
// memory (its crypto binding and WebAssembly module). The load is synchronous (require, not
// import()), so a connection opened early still sends its first packet at once.
const require = createRequire(import.meta.url);
let ssh2: typeof import('ssh2') | undefined;

export function newSshClient(): Client {
  ssh2 ??= require('ssh2') as typeof import('ssh2');
  return new ssh2.Client();
}
