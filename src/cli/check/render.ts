// How `sextant check` shows its results: one line per host per check, or one JSON document.
import type { CheckResult } from './probes.ts';

const MARK = { ok: '✔', fail: '✖', skip: '–' } as const;

/** `✖ [10.0.0.2] ssh: connection refused on port 22 — try: start sshd on 10.0.0.2, …` */
export function checkLine(result: CheckResult): string {
  const fix = result.status === 'fail' && result.fix ? ` — try: ${result.fix}` : '';
  return `${MARK[result.status]} [${result.host}] ${result.check}: ${result.detail}${fix}`;
}

export function failures(results: readonly CheckResult[]): CheckResult[] {
  return results.filter((r) => r.status === 'fail');
}

export function summaryLine(results: readonly CheckResult[]): string {
  const failed = failures(results).length;
  const checked = results.filter((r) => r.status !== 'skip').length;
  if (failed === 0) return `✔ all ${checked} checks passed: nothing here would stop a deploy`;
  return `✖ ${failed} of ${results.length} checks failed: a deploy would fail until they are fixed`;
}

export function checkJson(results: readonly CheckResult[]): string {
  return JSON.stringify({ ok: failures(results).length === 0, checks: results });
}
