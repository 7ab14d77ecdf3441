// Looks at a testbed server directly (not through Sextant) to check what a deploy left there.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inServer, serverDockerEnv } from '../../testbed/index.ts';

const run = promisify(execFile);

export async function serverShell(server: string, script: string): Promise<string> {
  const [command, ...args] = inServer(server);
  const { stdout } = await run(command as string, [...args, 'sh', '-c', script], { maxBuffer: 10 * 1024 * 1024 });
  return stdout;
}

export async function serverDocker(server: string, args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { env: serverDockerEnv(server), maxBuffer: 10 * 1024 * 1024 });
  return stdout;
}

export interface ContainerInfo {
  name: string;
  state: string;
  labels: Record<string, string>;
  networks: string[];
  image: string;
  env: string[];
}

export async function containers(server: string, service: string): Promise<ContainerInfo[]> {
  const ids = (await serverDocker(server, ['ps', '-a', '-q', '--filter', `label=service=${service}`])).split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const inspected = JSON.parse(await serverDocker(server, ['inspect', ...ids])) as Array<{
    Name: string;
    State: { Status: string };
    Config: { Labels: Record<string, string>; Image: string; Env: string[] };
    NetworkSettings: { Networks: Record<string, unknown> };
  }>;
  return inspected.map((c) => ({
    name: c.Name.replace(/^\//, ''),
    state: c.State.Status,
    labels: c.Config.Labels,
    networks: Object.keys(c.NetworkSettings.Networks),
    image: c.Config.Image,
    env: c.Config.Env,
  }));
}

export async function proxyServices(server: string): Promise<string> {
  const table = await serverDocker(server, ['exec', 'kamal-proxy', 'kamal-proxy', 'list']);
  return table.replace(/\x1b\[[0-9;]*m/g, '');
}
