// The audit log on each server (lib/kamal/commands/auditor.rb, lib/kamal/tags.rb):
//   mkdir -p .kamal && echo "<line>" >> .kamal/<service>[-<destination>]-audit.log
// with the line `[<recorded at>] [<performer>] [<destination>]? [<role>]? [<detail>]... <message>`,
// escaped like every Kamal value (String#dump in double quotes; only a plain `${NAME}` is left for
// the remote shell, as Kamal does, and nothing else in the message can reach the shell).

import type { Config } from '../config/types.ts';
import { and, append, argv, value, type Command } from './command.ts';
import { iso8601 } from './lock.ts';

type AuditConfig = Pick<Config, 'runDirectory' | 'serviceAndDestination' | 'destination'>;

/** `.kamal/<service>[-<destination>]-audit.log` */
export function auditLogFile(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): string {
  return `${config.runDirectory}/${config.serviceAndDestination}-audit.log`;
}

export type AuditRecordInput = {
  readonly config: AuditConfig;
  readonly message: string;
  /** The role the action was about; Kamal's only detail in 2.6.0. */
  readonly role?: string;
  /** More `[detail]` tags after the role, in order (Kamal's `record(line, **details)`). */
  readonly details?: readonly string[];
  /** A Date, or an ISO 8601 text used as is. */
  readonly recordedAt: Date | string;
  /** `git config user.email`, or `whoami` when that is empty. */
  readonly performer: string;
};

/** The text of one audit line (before shell escaping). */
export function auditLine({ config, message, role, details = [], recordedAt, performer }: AuditRecordInput): string {
  const tags = [iso8601(recordedAt), performer, config.destination, role, ...details].filter(
    (tag): tag is string => tag !== undefined,
  );
  return `${tags.map((tag) => `[${tag}]`).join(' ')} ${message}`;
}

/** `mkdir -p .kamal && echo "<line>" >> .kamal/<svc[-dest]>-audit.log` */
export function record(input: AuditRecordInput): Command {
  const { config } = input;
  return and(argv('mkdir', '-p', config.runDirectory), append(argv('echo', value(auditLine(input))), auditLogFile(config)));
}

/** `tail -n 50 .kamal/<svc[-dest]>-audit.log` */
export function reveal(config: Pick<Config, 'runDirectory' | 'serviceAndDestination'>): Command {
  return argv('tail', '-n', 50, auditLogFile(config));
}
