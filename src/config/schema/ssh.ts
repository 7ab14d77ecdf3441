import { z } from 'zod';
import { arrayOf, boolean, describe, hash, integer, stringish } from './common.ts';

const port = () =>
  z.union([z.number(), z.string(), z.boolean()], { error: 'should be a string' }).transform((value, ctx) => {
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(number) && number >= 1 && number <= 65535) return number;
    ctx.issues.push({ code: 'custom', message: 'should be a port number (1-65535)', input: value });
    return z.NEVER;
  });

/** `ssh:` — how to connect to the servers. */
export const sshSchema = () =>
  hash({
    user: describe(stringish(), { description: 'User to log in as.', default: 'root' }).optional(),
    port: describe(port(), { description: 'SSH port.', default: 22, rules: ['1-65535'] }).optional(),
    proxy: describe(stringish(), { description: 'Jump host, `host` or `user@host` (user defaults to root).' }).optional(),
    proxy_command: describe(stringish(), { description: 'Proxy command, e.g. `ssh -W %h:%p user@proxy`.' }).optional(),
    log_level: describe(stringish(), { description: 'SSH library log level.', default: 'fatal' }).optional(),
    keys_only: describe(boolean(), { description: 'Use only the keys given in `keys`/`key_data`, not every agent identity.' }).optional(),
    keys: describe(arrayOf(stringish()), { description: 'Private key files to use.' }).optional(),
    key_data: describe(arrayOf(stringish()), { description: 'Private keys in PEM format.' }).optional(),
    config: describe(boolean(), { description: 'Whether to read OpenSSH config files (accepted; Kamal 2.6.0 does not use it).' }).optional(),
    forward_agent: describe(boolean(), {
      description: 'Forward the local SSH agent to the servers (Kamal 2.12). Sextant forwards it only when this is true.',
      default: false,
    }).optional(),
  });

/** `sshkit:` — connection pool settings. */
export const sshkitSchema = () =>
  hash({
    max_concurrent_starts: describe(integer(), { description: 'How many SSH connections may be opening at once.', default: 30, rules: ['at least 1'] }).optional(),
    pool_idle_timeout: describe(integer(), { description: 'Seconds an idle connection is kept open.', default: 900 }).optional(),
  });

export type SshSection = z.output<ReturnType<typeof sshSchema>>;
export type SshkitSection = z.output<ReturnType<typeof sshkitSchema>>;
