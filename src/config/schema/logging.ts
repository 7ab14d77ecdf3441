import { z } from 'zod';
import { describe, hash, scalarHash, stringish } from './common.ts';

/** `logging:` (root or role) — docker's log driver and its options. */
export const loggingSchema = () =>
  hash({
    driver: describe(stringish(), { description: 'Docker log driver (`--log-driver`).' }).optional(),
    options: describe(scalarHash(), {
      description: 'Options for the log driver (`--log-opt key="value"`). Without a driver or options Kamal uses `--log-opt max-size="10m"`.',
    }).optional(),
  });

export type LoggingSection = z.output<ReturnType<typeof loggingSchema>>;
