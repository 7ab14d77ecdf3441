import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as accessories from '../../commands/accessory.ts';
import type { Command } from '../../commands/command.ts';
import { runOverSsh } from '../../commands/docker.ts';
import { envFileContent } from '../../commands/env-file.ts';
import { login } from '../../commands/registry.ts';
import { joinCommandWords } from '../../commands/server.ts';
import { accessoryEnv, renderErb, type AccessoryConfig } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import type { StepEnv } from '../context.ts';
import { audit, network, registryLogin } from '../steps/server.ts';
import { collect, on, preConnect, withLock, type HostOutput } from './runtime.ts';

// `sextant accessory …` (Kamal's cli/accessory.rb). NAME may be `all` where Kamal allows it
// (boot, reboot, details, remove): every accessory, in config order.

export function accessoryNames(env: StepEnv): string[] {
  return env.config.accessories.map((a) => a.name);
}

function namesFor(env: StepEnv, name: string): string[] {
  return name === 'all' ? accessoryNames(env) : [name];
}

// The accessory and the hosts it runs on within the current selection.
function accessoryAndHosts(env: StepEnv, name: string): { accessory: AccessoryConfig; hosts: string[] } {
  const accessory = env.config.accessories.find((a) => a.name === name);
  if (!accessory) {
    const names = accessoryNames(env);
    throw new UserError(`No accessory by the name of '${name}'${names.length > 0 ? ` (options: ${toSentence(names)})` : ''}`);
  }
  return { accessory, hosts: env.selection.accessoryHosts.filter((host) => accessory.hosts.includes(host)) };
}

// Unknown names fail before the lock is taken.
function checkNames(env: StepEnv, name: string): void {
  for (const each of namesFor(env, name)) accessoryAndHosts(env, each);
}

// Ruby's Array#to_sentence: "a", "a and b", "a, b, and c".
function toSentence(words: string[]): string {
  if (words.length <= 2) return words.join(' and ');
  return `${words.slice(0, -1).join(', ')}, and ${words[words.length - 1]}`;
}

export async function bootAccessory(env: StepEnv, name: string): Promise<void> {
  checkNames(env, name);
  await withLock(env, async () => {
    for (const each of namesFor(env, name)) await bootOne(env, each, { prepare: true });
  });
}

// Kamal's phases, each on all the accessory's hosts at once: registry login and network, the
// "already there?" check, directories, files, then the boot where no container exists yet.
async function bootOne(env: StepEnv, name: string, options: { prepare: boolean }): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  if (options.prepare) await prepareHosts(env, accessory, hosts);
  const existing = (await collect(env, hosts, async (host) => (await env.transport(host).exec(accessories.accessoryExists(accessory))).stdout.trim() !== ''))
    .filter(({ value }) => value)
    .map(({ host }) => host);
  if (existing.length > 0) {
    env.bus.emit('log', { level: 'warn', message: `Skipping booting \`${name}\` on ${[...existing].sort().join(', ')}, a container already exists`, at: Date.now() });
  }
  await makeDirectories(env, accessory, hosts);
  await uploadFiles(env, accessory, hosts);
  await on(env, hosts.filter((host) => !existing.includes(host)), async (host) => {
    const t = env.transport(host);
    await audit(env, host, `Booted ${name} accessory`);
    await t.exec(accessories.ensureAccessoryEnvDirectory(env.config));
    const secrets = accessoryEnv(env.config, name).secrets.map(([variable, secret]) => [variable, env.secrets.get(secret)] as const);
    await t.upload(accessory.envFilePath, envFileContent(secrets), 0o600);
    await t.exec(accessories.runAccessory(env.config, accessory));
    if (accessory.runsProxy) await deployToProxy(env, host, accessory);
  });
}

// `accessory upload NAME` and `accessory directories NAME` (hidden in Kamal): one phase of a boot.
export async function uploadAccessory(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await uploadFiles(env, accessory, hosts);
}

export async function accessoryDirectories(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await makeDirectories(env, accessory, hosts);
}

async function prepareHosts(env: StepEnv, accessory: AccessoryConfig, hosts: string[]): Promise<void> {
  await on(env, hosts, (host) => prepareAccessory(env, host, accessory));
}

async function makeDirectories(env: StepEnv, accessory: AccessoryConfig, hosts: string[]): Promise<void> {
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      for (const command of accessories.ensureAccessoryDirectories(accessory)) await env.transport(host).exec(command);
    }),
  );
}

async function uploadFiles(env: StepEnv, accessory: AccessoryConfig, hosts: string[]): Promise<void> {
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      const t = env.transport(host);
      for (const file of accessories.accessoryFileSteps(accessory)) {
        const content = localFileContent(env, accessory, file.local);
        await t.exec(file.makeDirectory);
        await t.upload(file.remote, content, 0o644);
        await t.exec(file.chmod);
      }
    }),
  );
}

// A file ending in `erb` is rendered with the accessory's clear env added to the environment.
function localFileContent(env: StepEnv, accessory: AccessoryConfig, local: string): string {
  const path = resolve(env.config.cwd, local);
  if (!existsSync(path)) throw new UserError(`Missing file: ${path}`);
  const text = readFileSync(path, 'utf8');
  if (!local.endsWith('erb')) return text;
  const clear = Object.fromEntries(accessory.env.clear.map(([key, value]) => [key, value === false ? 'false' : String(value)]));
  return renderErb(text, { ...process.env, ...clear }).text;
}

async function runningTarget(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<string> {
  return (await env.transport(host).exec(accessories.accessoryContainerId(accessory))).stdout.trim();
}

async function deployToProxy(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  const target = await runningTarget(env, host, accessory);
  await env.transport(host).exec(accessories.deployAccessoryToProxy({ config: env.config, accessory, target, version: env.version }));
}

export async function rebootAccessory(env: StepEnv, name: string): Promise<void> {
  checkNames(env, name);
  await withLock(env, async () => {
    for (const each of namesFor(env, name)) {
      const { accessory, hosts } = accessoryAndHosts(env, each);
      await prepareHosts(env, accessory, hosts);
      await stopAccessory(env, each);
      await removeAccessoryContainer(env, each);
      await bootOne(env, each, { prepare: false });
    }
  });
}

export async function startAccessory(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      await audit(env, host, `Started ${name} accessory`);
      await env.transport(host).exec(accessories.startAccessory(accessory));
      if (accessory.runsProxy) await deployToProxy(env, host, accessory);
    }),
  );
}

export async function stopAccessory(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      const t = env.transport(host);
      await audit(env, host, `Stopped ${name} accessory`);
      await t.exec(accessories.stopAccessory(accessory), { check: false });
      if (accessory.runsProxy) {
        // Kamal 2.6.0 asks for the running container but removes the service from the proxy either way.
        await runningTarget(env, host, accessory);
        await t.exec(accessories.removeAccessoryFromProxy(accessory));
      }
    }),
  );
}

export async function restartAccessory(env: StepEnv, name: string): Promise<void> {
  checkNames(env, name);
  await withLock(env, async () => {
    await stopAccessory(env, name);
    await startAccessory(env, name);
  });
}

export async function accessoryDetails(env: StepEnv, name: string): Promise<Array<HostOutput & { accessory: string }>> {
  const all: Array<HostOutput & { accessory: string }> = [];
  for (const each of namesFor(env, name)) {
    const { accessory, hosts } = accessoryAndHosts(env, each);
    const results = await collect(env, hosts, async (host) => (await env.transport(host).exec(accessories.accessoryInfo(accessory))).stdout);
    all.push(...results.map(({ host, value }) => ({ host, output: value, accessory: each })));
  }
  return all;
}

export interface AccessoryLogsRequest {
  since?: string;
  lines?: number;
  grep?: string;
  grepOptions?: string;
  skipTimestamps?: boolean;
}

export async function accessoryLogs(env: StepEnv, name: string, request: AccessoryLogsRequest): Promise<HostOutput[]> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  const lines = request.lines ?? (request.since !== undefined || request.grep !== undefined ? undefined : 100);
  const command = accessories.accessoryLogs(accessory, { timestamps: !request.skipTimestamps, since: request.since, lines, grep: request.grep, grepOptions: request.grepOptions });
  const results = await collect(env, hosts, async (host) => (await env.transport(host).exec(command)).stdout);
  return results.map(({ host, value }) => ({ host, output: value }));
}

// `accessory logs --follow`: ssh to the accessory's first host and follow its logs there.
export function followAccessoryLogsCommand(env: StepEnv, name: string, request: AccessoryLogsRequest): { host: string; command: Command } {
  const { accessory } = accessoryAndHosts(env, name);
  const host = firstHost(accessory);
  const follow = accessories.followAccessoryLogs(accessory, { timestamps: !request.skipTimestamps, grep: request.grep, grepOptions: request.grepOptions });
  return { host, command: runOverSsh(env.config.ssh, host, follow) };
}

function firstHost(accessory: AccessoryConfig): string {
  const host = accessory.hosts[0];
  if (!host) throw new UserError(`Accessory ${accessory.name} has no hosts`);
  return host;
}

export interface AccessoryExecRequest {
  command: string[];
  interactive?: boolean;
  reuse?: boolean;
}

export type AccessoryExecResult = { kind: 'outputs'; outputs: HostOutput[] } | { kind: 'interactive'; host: string; command: Command };

export async function execAccessory(env: StepEnv, name: string, request: AccessoryExecRequest): Promise<AccessoryExecResult> {
  await preConnect(env);
  const command = joinCommandWords(request.command);
  const { accessory, hosts } = accessoryAndHosts(env, name);
  if (request.interactive) {
    const host = firstHost(accessory);
    if (request.reuse) {
      return { kind: 'interactive', host, command: runOverSsh(env.config.ssh, host, accessories.execInAccessoryContainer(accessory, command, { interactive: true })) };
    }
    // Kamal logs in to the app's registry here, not the accessory's own.
    await on(env, [host], (h) => registryLogin(env, h));
    return { kind: 'interactive', host, command: runOverSsh(env.config.ssh, host, accessories.execInNewAccessoryContainer(accessory, command, { interactive: true })) };
  }
  const results = await collect(env, hosts, async (host) => {
    const t = env.transport(host);
    if (!request.reuse) await registryLogin(env, host);
    await audit(env, host, `Executed cmd '${command}' on ${name} accessory`);
    const run = request.reuse ? accessories.execInAccessoryContainer(accessory, command) : accessories.execInNewAccessoryContainer(accessory, command);
    return (await t.exec(run)).stdout;
  }, { retry: false });
  return { kind: 'outputs', outputs: results.map(({ host, value }) => ({ host, output: value })) };
}

export async function removeAccessory(env: StepEnv, name: string): Promise<void> {
  checkNames(env, name);
  await withLock(env, async () => {
    for (const each of namesFor(env, name)) {
      await stopAccessory(env, each);
      await removeAccessoryContainer(env, each);
      await removeAccessoryImage(env, each);
      await removeAccessoryServiceDirectory(env, each);
    }
  });
}

export async function removeAccessoryContainer(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      await audit(env, host, `Remove ${name} accessory container`);
      await env.transport(host).exec(accessories.removeAccessoryContainer(accessory));
    }),
  );
}

export async function removeAccessoryImage(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await withLock(env, () =>
    on(env, hosts, async (host) => {
      await audit(env, host, `Removed ${name} accessory image`);
      await env.transport(host).exec(accessories.removeAccessoryImage(accessory));
    }),
  );
}

export async function removeAccessoryServiceDirectory(env: StepEnv, name: string): Promise<void> {
  const { accessory, hosts } = accessoryAndHosts(env, name);
  await withLock(env, () => on(env, hosts, async (host) => void (await env.transport(host).exec(accessories.removeAccessoryServiceDirectory(accessory)))));
}

// Login to the accessory's registry and the kamal network.
export async function prepareAccessory(env: StepEnv, host: string, accessory: AccessoryConfig): Promise<void> {
  const registry = accessories.accessoryRegistry(env.config, accessory);
  await env.transport(host).exec(login({ registry, secrets: (name) => env.secrets.get(name) }));
  await network(env, host);
}
