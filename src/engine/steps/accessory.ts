import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as accessories from '../../commands/accessory.ts';
import { envFileContent } from '../../commands/env-file.ts';
import { login } from '../../commands/registry.ts';
import { accessoryEnv, type AccessoryConfig } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { audit, network } from './server.ts';

// Accessories on one host, in Kamal's per-host order (cli/accessory.rb).

export function accessoryNamed(env: StepEnv, name: string): AccessoryConfig {
  const accessory = env.config.accessories.find((a) => a.name === name);
  if (!accessory) throw new UserError(`No accessory called ${name} (known: ${env.config.accessories.map((a) => a.name).join(', ') || 'none'})`);
  return accessory;
}

export function accessoriesOn(env: StepEnv, host: string): AccessoryConfig[] {
  return env.config.accessories.filter((a) => a.hosts.includes(host));
}

// Login to the accessory's registry and the kamal network.
export async function prepareAccessory(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  const registry = accessories.accessoryRegistry(env.config, accessory);
  await env.transport(host).exec(login({ registry, secrets: (name) => env.secrets.get(name) }));
  await network(env, host);
}

// Boots the accessory unless a container of it already exists on the host.
export async function bootAccessory(env: StepEnv, host: string, accessory: AccessoryConfig, options: { prepare: boolean }): Promise<void> {
  const t = env.transport(host);
  if (options.prepare) await prepareAccessory(env, host, accessory);
  const exists = (await t.exec(accessories.accessoryExists(accessory))).stdout.trim() !== '';
  if (exists) env.bus.emit('log', { level: 'warn', host, message: `Skipping booting \`${accessory.name}\`, a container already exists`, at: Date.now() });
  for (const command of accessories.ensureAccessoryDirectories(accessory)) await t.exec(command);
  for (const file of accessories.accessoryFileSteps(accessory)) {
    const local = resolve(env.config.cwd, file.local);
    if (!existsSync(local)) throw new UserError(`Missing file: ${file.local}`);
    await t.exec(file.makeDirectory);
    await t.upload(file.remote, readFileSync(local, 'utf8'), 0o644);
    await t.exec(file.chmod);
  }
  if (exists) return;
  await audit(env, host, `Booted ${accessory.name} accessory`);
  await t.exec(accessories.ensureAccessoryEnvDirectory(env.config));
  const secrets = accessoryEnv(env.config, accessory.name).secrets.map(([name, secret]) => [name, env.secrets.get(secret)] as const);
  await t.upload(accessory.envFilePath, envFileContent(secrets), 0o600);
  await t.exec(accessories.runAccessory(env.config, accessory));
  await deployToProxyIfRunning(env, host, accessory);
}

async function deployToProxyIfRunning(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  if (!accessory.runsProxy) return;
  const target = (await env.transport(host).exec(accessories.accessoryContainerId(accessory))).stdout.trim();
  await env.transport(host).exec(accessories.deployAccessoryToProxy({ config: env.config, accessory, target, version: env.version }));
}

export async function startAccessory(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  await audit(env, host, `Started ${accessory.name} accessory`);
  await env.transport(host).exec(accessories.startAccessory(accessory));
  await deployToProxyIfRunning(env, host, accessory);
}

export async function stopAccessory(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  const t = env.transport(host);
  await audit(env, host, `Stopped ${accessory.name} accessory`);
  await t.exec(accessories.stopAccessory(accessory), { check: false });
  if (accessory.runsProxy) {
    const target = (await t.exec(accessories.accessoryContainerId(accessory), { check: false })).stdout.trim();
    if (target) await t.exec(accessories.removeAccessoryFromProxy(accessory));
  }
}

export async function removeAccessoryContainer(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  await audit(env, host, `Remove ${accessory.name} accessory container`);
  await env.transport(host).exec(accessories.removeAccessoryContainer(accessory));
}

export async function removeAccessoryImage(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  await audit(env, host, `Removed ${accessory.name} accessory image`);
  await env.transport(host).exec(accessories.removeAccessoryImage(accessory));
}

export async function removeAccessoryDirectory(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  await env.transport(host).exec(accessories.removeAccessoryServiceDirectory(accessory));
}

// setup's `accessory boot all`, one host's share: every accessory on it, in config order.
export async function bootAllAccessories(env: StepEnv, host: string): Promise<void> {
  for (const accessory of accessoriesOn(env, host)) await bootAccessory(env, host, accessory, { prepare: true });
}
