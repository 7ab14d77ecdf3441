// The deploy lock (lib/kamal/commands/lock.rb): a directory created with a plain `mkdir` (atomic:
// a second `mkdir` fails with "cannot create directory") on the primary host, holding a `details`
// file whose content is base64 (Ruby `Base64.encode64`: a newline after every 60 characters and at
// the end). The message is user input, but only its base64 form reaches the shell, so it cannot
// break the command.

import type { Config } from '../config/types.ts';
import { and, argv, dquote, pipe, write, type Command } from './command.ts';

type LockConfig = Pick<Config, 'runDirectory' | 'serviceAndDestination'>;

export const AUTOMATIC_LOCK_MESSAGE = 'Automatic deploy lock';

/** `.kamal/lock-<service>[-<destination>]` */
export function lockDir(config: LockConfig): string {
  return `${config.runDirectory}/lock-${config.serviceAndDestination}`;
}

export function lockDetailsFile(config: LockConfig): string {
  return `${lockDir(config)}/details`;
}

export type LockAcquireInput = {
  readonly config: LockConfig;
  readonly message: string;
  readonly version: string;
  /** `git config user.name` (Kamal writes `Unknown` when git is missing). */
  readonly lockedBy: string;
  /** When the lock is taken: a Date, or an ISO 8601 text used as is. */
  readonly at: Date | string;
};

/** `mkdir <dir> && echo "<base64 details>" > <dir>/details` */
export function acquire({ config, message, version, lockedBy, at }: LockAcquireInput): Command {
  const details = lockDetails({ message, version, lockedBy, at });
  return and(argv('mkdir', lockDir(config)), write(argv('echo', dquote(encode64(details))), lockDetailsFile(config)));
}

/** `rm <dir>/details && rm -r <dir>` */
export function release(config: LockConfig): Command {
  return and(argv('rm', lockDetailsFile(config)), argv('rm', '-r', lockDir(config)));
}

/** `stat <dir> > /dev/null && cat <dir>/details | base64 -d` */
export function status(config: LockConfig): Command {
  return and(write(argv('stat', lockDir(config)), '/dev/null'), pipe(argv('cat', lockDetailsFile(config)), argv('base64', '-d')));
}

/** The three lines stored (before encoding): locked by/at, version, message; no final newline. */
export function lockDetails({ message, version, lockedBy, at }: Omit<LockAcquireInput, 'config'>): string {
  const text = `Locked by: ${lockedBy} at ${iso8601(at)}\nVersion: ${version}\nMessage: ${message}`;
  // Kamal builds the text with a heredoc and `.strip`s it; only the end can carry whitespace.
  return text.replace(/[\0\t\n\v\f\r ]+$/, '');
}

/** UTC ISO 8601 without fractions (Ruby `Time#utc.iso8601`); a string is taken as already formatted. */
export function iso8601(at: Date | string): string {
  return typeof at === 'string' ? at : at.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Ruby `Base64.encode64` of the UTF-8 bytes of `text`: 60-character lines, each ending in `\n`. */
export function encode64(text: string): string {
  const flat = base64(utf8Bytes(text));
  let out = '';
  for (let index = 0; index < flat.length; index += 60) out += `${flat.slice(index, index + 60)}\n`;
  return out;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: readonly number[]): string {
  let out = '';
  for (let index = 0; index < bytes.length; index += 3) {
    const a = bytes[index]!;
    const b = bytes[index + 1];
    const c = bytes[index + 2];
    const chunk = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64_ALPHABET[(chunk >> 18) & 63]! + BASE64_ALPHABET[(chunk >> 12) & 63]!;
    out += b === undefined ? '=' : BASE64_ALPHABET[(chunk >> 6) & 63]!;
    out += c === undefined ? '=' : BASE64_ALPHABET[chunk & 63]!;
  }
  return out;
}

/** UTF-8 encoding; a lone surrogate becomes U+FFFD, as TextEncoder does. */
function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    let code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return bytes;
}
