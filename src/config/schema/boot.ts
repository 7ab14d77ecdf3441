import { z } from 'zod';
import { boolean, describe, hash, integer } from './common.ts';

const PERCENT = /^\s*(\d+)%$/;

/** `boot.limit` as written: a host count, or a percentage of all hosts. */
export type BootLimit = { hosts: number } | { percent: number };

const limit = () =>
  z
    .union([z.int(), z.string(), z.number(), z.boolean()], { error: 'should be a string' })
    .transform((value, ctx): BootLimit => {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return { hosts: value };
      if (typeof value === 'string') {
        const percent = PERCENT.exec(value);
        if (percent) return { percent: Number(percent[1]) };
        if (/^\d+$/.test(value.trim()) && Number(value) >= 1) return { hosts: Number(value) };
      }
      ctx.issues.push({
        code: 'custom',
        message: 'should be a whole number of hosts (at least 1) or a percentage such as "25%"',
        input: value,
      });
      return z.NEVER;
    });

/** `boot:` — rolling boots in groups of hosts. */
export const bootSchema = () =>
  hash({
    limit: describe(limit(), {
      description: 'Boot this many hosts at a time, or `N%` of all hosts (accessory hosts included), at least 1.',
      rules: ['an integer ≥ 1 or a string "N%"'],
    }).optional(),
    wait: describe(integer(), { description: 'Seconds to wait after each group has booted.' }).optional(),
    parallel_roles: describe(boolean(), {
      description: "Boot a host's roles at the same time instead of one after another (Kamal 2.10).",
      default: false,
    }).optional(),
  });

export type BootSection = z.output<ReturnType<typeof bootSchema>>;
