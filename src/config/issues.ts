import type { z } from 'zod';

/** A problem at a key path, before it is tied to a file. */
export interface RawIssue {
  path: (string | number)[];
  message: string;
  /** For unknown-key problems: the keys, so the issue can be tied to the file that wrote them. */
  keys?: string[];
}

type Issue = z.core.$ZodIssue;

function typeWord(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
    case 'map':
      return 'a hash';
    case 'array':
    case 'tuple':
    case 'set':
      return 'an array';
    case 'int':
    case 'number':
    case 'bigint':
      return 'an integer';
    case 'boolean':
      return 'a boolean';
    case 'string':
      return 'a string';
    default:
      return `a ${expected}`;
  }
}

function isRootTypeMismatch(branch: Issue[]): boolean {
  if (branch.length !== 1) return false;
  const [issue] = branch;
  if (!issue || issue.path.length !== 0) return false;
  if (issue.code === 'invalid_type') return true;
  if (issue.code === 'invalid_value') return true;
  if (issue.code === 'invalid_union') return issue.errors.every(isRootTypeMismatch);
  return false;
}

/** Turns zod's issues into Kamal-worded ones: `should be a string or a hash`, `unknown keys: a, b`, … */
export function kamalIssues(issues: readonly Issue[], prefix: (string | number)[] = []): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    switch (issue.code) {
      case 'invalid_union': {
        // Report the problems of the form whose basic type matched; if none matched, the union's own wording.
        const matching = issue.errors.find((branch) => branch.length > 0 && !isRootTypeMismatch(branch));
        if (matching) out.push(...kamalIssues(matching, path));
        else out.push({ path, message: issue.message });
        break;
      }
      case 'invalid_type':
        out.push({ path, message: `should be ${typeWord(issue.expected)}` });
        break;
      case 'unrecognized_keys': {
        const keys = issue.keys;
        out.push({ path, keys, message: `unknown ${keys.length === 1 ? 'key' : 'keys'}: ${keys.join(', ')}` });
        break;
      }
      case 'too_small':
        out.push({ path, message: `should be at least ${String(issue.minimum)}` });
        break;
      case 'too_big':
        out.push({ path, message: `should be at most ${String(issue.maximum)}` });
        break;
      case 'invalid_value':
        out.push({ path, message: `should be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  // Kamal words a missing required key without a key path.
  return out.map((raw) => (raw.message.startsWith('Missing required configuration') ? { ...raw, path: [] } : raw));
}
