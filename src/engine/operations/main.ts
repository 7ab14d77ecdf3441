import { reveal } from '../../commands/auditor.ts';
import type { StepEnv } from '../context.ts';
import { accessoryDetails } from './accessory.ts';
import { appDetails } from './app.ts';
import { proxyDetails } from './proxy.ts';
import { collect, type HostOutput } from './runtime.ts';

// Top-level `sextant audit` and `sextant details` (Kamal's cli/main.rb).

// The last lines of the audit log on every selected host.
export async function auditLog(env: StepEnv): Promise<HostOutput[]> {
  const results = await collect(env, env.selection.hosts, async (host) => (await env.transport(host).exec(reveal(env.config))).stdout);
  return results.map(({ host, value }) => ({ host, output: value }));
}

export interface AllDetails {
  proxy: HostOutput[];
  app: HostOutput[];
  accessories: Array<HostOutput & { accessory: string }>;
}

export async function allDetails(env: StepEnv): Promise<AllDetails> {
  const proxy = await proxyDetails(env);
  const app = await appDetails(env);
  const accessories = await accessoryDetails(env, 'all');
  return { proxy, app, accessories };
}
