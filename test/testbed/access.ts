// Direct access to a server from the root namespace, bypassing SSH: for test set-up and checks
// (the code under test reaches servers over SSH only).
import { nodePaths, serverSpec } from './layout.ts';
import { readState } from './state.ts';
import { inNode } from './namespaces.ts';
import { dockerEnv } from './images.ts';
import { TestbedError } from './exec.ts';

function pathsOf(server: string | { name: string }) {
  const key = typeof server === 'string' ? server : server.name;
  const i = readState()?.servers.find((n) => serverSpec(n).name === key || serverSpec(n).ip === key);
  if (i === undefined) throw new TestbedError(`no testbed server "${key}"`);
  return nodePaths(serverSpec(i).name);
}

/** argv prefix that runs a command inside the server (its network, mount and UTS namespaces). */
export function inServer(server: string | { name: string }): string[] {
  return inNode(pathsOf(server));
}

/** Environment for the docker CLI to talk to this server's daemon directly. */
export function serverDockerEnv(server: string | { name: string }): NodeJS.ProcessEnv {
  return dockerEnv(pathsOf(server).dockerSocket);
}
