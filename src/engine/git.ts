import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { UserError } from '../errors.ts';

// What Kamal asks git (and the OS) on the operator's machine.
function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function gitUserName(cwd: string): string {
  return git(cwd, ['config', 'user.name']) ?? '';
}

// The audit log's and hooks' performer: git user.email, else the local user name.
export function performer(cwd: string): string {
  const email = git(cwd, ['config', 'user.email']);
  return email ? email : userInfo().username;
}

export interface VersionSources {
  declared?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  // A build from a git clone ignores uncommitted changes, so they never mark the version.
  buildsFromClone: boolean;
}

// --version, then $VERSION, then the git commit (with an _uncommitted_ suffix for a dirty tree).
export function resolveVersion({ declared, env, cwd, buildsFromClone }: VersionSources): string {
  if (declared) return declared;
  if (env.VERSION) return env.VERSION;
  const revision = gitRevision(cwd);
  if (revision === undefined) {
    const why = gitRoot(cwd) === undefined ? `no git repository found in ${cwd}` : `the git repository in ${cwd} has no commit yet`;
    throw new UserError(`Can't use commit hash as version, ${why} (commit, or pass --version or set VERSION)`);
  }
  const dirty = (git(cwd, ['status', '--porcelain']) ?? '') !== '';
  return dirty && !buildsFromClone ? `${revision}_uncommitted_${randomBytes(8).toString('hex')}` : revision;
}

// The top of the git work tree containing `cwd`, if any.
export function gitRoot(cwd: string): string | undefined {
  return git(cwd, ['rev-parse', '--show-toplevel']) || undefined;
}

export function gitRevision(cwd: string): string | undefined {
  return git(cwd, ['rev-parse', 'HEAD']) || undefined;
}
