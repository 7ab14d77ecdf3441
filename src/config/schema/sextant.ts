import { z } from 'zod';
import { describe, hash } from './common.ts';

export const SEXTANT_RETRY_DEFAULTS = { attempts: 4, baseDelay: 1, maxDelay: 15 };

const seconds = (description: string, fallback: number) =>
  describe(z.number().min(0), { description, default: fallback, rules: ['a number of seconds ≥ 0'] }).optional();

/** `x-sextant:` — Sextant's own settings. Kamal ignores `x-` keys, so the file stays Kamal-compatible. */
export const sextantSchema = () =>
  hash({
    retry: describe(
      hash({
        attempts: describe(z.int().min(1), {
          description: 'How many times a remote step that failed for a transient reason (connection lost, timeout) is tried in all.',
          default: SEXTANT_RETRY_DEFAULTS.attempts,
          rules: ['an integer ≥ 1'],
        }).optional(),
        base_delay: seconds('Seconds before the first retry; each further retry waits twice as long.', SEXTANT_RETRY_DEFAULTS.baseDelay),
        max_delay: seconds('Longest wait between two retries, in seconds.', SEXTANT_RETRY_DEFAULTS.maxDelay),
      }).superRefine((value, ctx) => {
        const base = value.base_delay ?? SEXTANT_RETRY_DEFAULTS.baseDelay;
        const max = value.max_delay ?? SEXTANT_RETRY_DEFAULTS.maxDelay;
        if (max < base) ctx.addIssue({ code: 'custom', path: ['max_delay'], message: `should be at least base_delay (${base})` });
      }),
      { description: 'Retries of remote steps that fail for transient reasons.' },
    ).optional(),
  });

export type SextantSection = z.output<ReturnType<typeof sextantSchema>>;
