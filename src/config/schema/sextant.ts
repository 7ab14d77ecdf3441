import { z } from 'zod';
import { describe, hash } from './common.ts';

export const SEXTANT_RETRY_DEFAULTS = { attempts: 4, baseDelay: 1, maxDelay: 15, downAfter: 5 };
export const SEXTANT_FLEET_DEFAULTS = { maxFailures: 0, onFailure: 'keep' as const };

const seconds = (description: string, fallback: number | string) =>
  describe(z.number().min(0), { description, default: fallback, rules: ['a number of seconds ≥ 0'] }).optional();

const deadline = (description: string, fallback: string) =>
  describe(z.number().min(0), { description: `${description} 0 turns the deadline off.`, default: fallback, rules: ['a number of seconds ≥ 0'] }).optional();

/** `x-sextant:` — Sextant's own settings. Kamal ignores `x-` keys, so the file stays Kamal-compatible. */
export const sextantSchema = () =>
  hash({
    host_env: describe(z.boolean(), {
      description:
        'Give app containers `KAMAL_HOST` (the server) and, with a destination, `KAMAL_DESTINATION`, as Kamal 2.10 does (its `--env` form). Off by default, so the commands stay those of Kamal 2.6.0.',
      default: false,
    }).optional(),
    retry: describe(
      hash({
        attempts: describe(z.int().min(1), {
          description: 'How many times a remote step that failed for a transient reason (connection lost, timeout) is tried in all.',
          default: SEXTANT_RETRY_DEFAULTS.attempts,
          rules: ['an integer ≥ 1'],
        }).optional(),
        base_delay: seconds('Seconds before the first retry; each further retry waits twice as long.', SEXTANT_RETRY_DEFAULTS.baseDelay),
        max_delay: seconds('Longest wait between two retries, in seconds.', SEXTANT_RETRY_DEFAULTS.maxDelay),
        down_after: seconds(
          'A server that refuses connections (or cannot be reached) on every try for this many seconds is declared down: its step fails at once, without further retries. Shorter outages are ridden out by retrying the connection every half second.',
          SEXTANT_RETRY_DEFAULTS.downAfter,
        ),
      }).superRefine((value, ctx) => {
        const base = value.base_delay ?? SEXTANT_RETRY_DEFAULTS.baseDelay;
        const max = value.max_delay ?? SEXTANT_RETRY_DEFAULTS.maxDelay;
        if (max < base) ctx.addIssue({ code: 'custom', path: ['max_delay'], message: `should be at least base_delay (${base})` });
      }),
      { description: 'Retries of remote steps that fail for transient reasons.' },
    ).optional(),
    deadlines: describe(
      hash({
        command: deadline('Seconds any other remote command may run.', 'deploy_timeout, at least 30'),
        pull: deadline('Seconds a `docker pull` may run.', '10 × deploy_timeout, at least 120'),
        proxy_deploy: deadline('Seconds `kamal-proxy deploy` may run (it waits for the health check and the drain itself).', 'deploy_timeout + drain_timeout + 15'),
        stop: deadline('Seconds a `docker stop` may run (it waits drain_timeout before killing).', 'drain_timeout + 15'),
        build: deadline('Seconds a local image build may run.', '3600'),
        hook: deadline('Seconds a hook may run.', '600'),
        local: deadline('Seconds any other local command may run (registry login, builder checks).', 'deploy_timeout, at least 30'),
      }),
      {
        description:
          "The watchdog: how long each kind of command may run before it is killed, on the server too (the command runs under `timeout`). A remote command that times out fails as transient (retried); a local one as permanent. Commands with the operator's own code (`app exec`, `--follow` logs) have no deadline.",
      },
    ).optional(),
    fleet: describe(
      hash({
        max_failures: describe(z.union([z.int().min(0), z.string().regex(/^\d+(\.\d+)?%$/)]), {
          description: 'How many app hosts may fail to boot (a number, or a percentage of the hosts booted) before the deploy stops and fails. Hosts that failed are always reported.',
          default: SEXTANT_FLEET_DEFAULTS.maxFailures,
          rules: ['an integer ≥ 0, or a percentage such as "34%"'],
        }).optional(),
        on_failure: describe(z.enum(['keep', 'revert']), {
          description:
            "What happens to the hosts already switched to the new version when the deploy fails: `keep` leaves them on it (Kamal's behaviour); `revert` points kamal-proxy back at the previous container on each of them, restarts the old containers and removes the new ones. The outcome names each host's final version.",
          default: SEXTANT_FLEET_DEFAULTS.onFailure,
          rules: ['keep or revert'],
        }).optional(),
      }),
      { description: 'What a deploy does when some hosts fail.' },
    ).optional(),
  });

export type SextantSection = z.output<ReturnType<typeof sextantSchema>>;
