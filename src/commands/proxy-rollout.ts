// kamal-proxy v0.9.0's rollout (internal/cmd/rollout_*.go, internal/server/rollout_controller.go),
// which Kamal never wired: a service gets a second target, and kamal-proxy sends it the requests
// whose `kamal-rollout` cookie value is on the allowlist or hashes (FNV-1a, 32 bits) into the first
// `percent` of the hash range. Requests without that cookie always go to the live target.

import type { Config, RoleConfig } from '../config/types.ts';
import { optionize, type Command } from './command.ts';
import { proxyExec } from './proxy.ts';

export const ROLLOUT_COOKIE = 'kamal-rollout';

export interface RolloutSplit {
  // 0..100: the share of cookie values whose requests go to the rollout target.
  percent: number;
  // Cookie values whose requests always go to the rollout target.
  allowlist: readonly string[];
}

function appPort(role: RoleConfig): number {
  if (!role.runsProxy || role.proxy === undefined) throw new Error(`role ${role.name} does not run the proxy`);
  return role.proxy.appPort;
}

/**
 * `docker exec kamal-proxy kamal-proxy rollout deploy <prefix> --target="<id>:<port>"
 * --deploy-timeout="<n>s" --drain-timeout="<n>s"`: kamal-proxy waits until the target passes the
 * service's health check, then makes it the rollout target (the live one stays as it is).
 */
export function rolloutDeploy(input: { readonly config: Config; readonly role: RoleConfig; readonly target: string }): Command {
  const { config, role, target } = input;
  return proxyExec(
    'rollout',
    'deploy',
    role.containerPrefix,
    optionize(
      [
        ['target', `${target}:${appPort(role)}`],
        ['deploy-timeout', `${config.deployTimeout}s`],
        ['drain-timeout', `${config.drainTimeout}s`],
      ],
      { with: '=' },
    ),
  );
}

/** `docker exec kamal-proxy kamal-proxy rollout set <prefix> --percent=<n> [--list="a,b"]` */
export function rolloutSet(role: RoleConfig, split: RolloutSplit): Command {
  const options: Array<readonly [string, string | number]> = [['percent', split.percent]];
  if (split.allowlist.length > 0) options.push(['list', split.allowlist.join(',')]);
  return proxyExec('rollout', 'set', role.containerPrefix, optionize(options, { with: '=' }));
}

/** `docker exec kamal-proxy kamal-proxy rollout stop <prefix>`: every request goes to the live target again. */
export function rolloutStop(role: RoleConfig): Command {
  return proxyExec('rollout', 'stop', role.containerPrefix);
}

// --- what kamal-proxy does with a split (for people, docs and tests) -----------------------------

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Whether kamal-proxy v0.9.0 sends a request with this `kamal-rollout` cookie value to the rollout target. */
export function goesToRollout(cookieValue: string | undefined, split: RolloutSplit): boolean {
  if (!cookieValue) return false;
  if (split.allowlist.includes(cookieValue)) return true;
  return fnv1a32(cookieValue) <= 0xffffffff * (split.percent / 100);
}
