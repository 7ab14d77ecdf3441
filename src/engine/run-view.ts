import type { RunRecord } from './run-record.ts';
import type { Timeline } from './run-timeline.ts';

export function renderRunView(timeline: Timeline, _record: RunRecord): string {
  return `<!doctype html><title>${timeline.runId}</title>`;
}
