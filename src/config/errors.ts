import { UserError } from '../errors.ts';

/** One problem found in a configuration file. `path` is Kamal's slash path (`servers/web/hosts/2`), empty for the file as a whole. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
}

/** Every problem found while loading the configuration, grouped into one readable message. */
export class ConfigError extends UserError {
  override readonly name: string = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], message = formatIssues(issues)) {
    super(message, 1);
    this.issues = issues;
  }
}

export function issueLine(issue: Pick<ConfigIssue, 'path' | 'message'>): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `config/deploy.yml: 2 errors` followed by one indented line per issue, per file. */
export function formatIssues(issues: ConfigIssue[]): string {
  const byFile = new Map<string, ConfigIssue[]>();
  for (const issue of issues) {
    const list = byFile.get(issue.file) ?? [];
    list.push(issue);
    byFile.set(issue.file, list);
  }
  const blocks: string[] = [];
  for (const [file, list] of byFile) {
    const count = list.length === 1 ? '1 error' : `${list.length} errors`;
    blocks.push([`${file}: ${count}`, ...list.map((issue) => `  ${issueLine(issue)}`)].join('\n'));
  }
  return blocks.join('\n');
}
