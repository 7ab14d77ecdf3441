// The Sextant testbed's TypeScript API, for integration tests, benchmarks and tools.
//   const tb = await ensureTestbed({ servers: 3 });   // up if needed, faults undone
//   await faults.cutLink(tb.servers[0]!); … await faults.restoreLink(tb.servers[0]!);
// See docs/testbed.md.
export { ensureTestbed, currentTestbed, testbedStatus, teardown, upWithTimings } from './testbed.ts';
export type { TestbedInfo, TestbedServer, TestbedStatus, NodeStatus, UpOptions, UpTimings } from './testbed.ts';
export type { NodeHealth } from './node.ts';
export { TestbedError } from './exec.ts';
export * as faults from './faults.ts';
export type { ServerRef } from './faults.ts';
export { inServer, serverDockerEnv } from './access.ts';
