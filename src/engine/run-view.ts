// `sextant runs view RUN`: one self-contained HTML page (no network: styles, data and script are
// inlined) with the deployment's statecharts, the states this run went through highlighted, a
// timeline per host (stages, retries, rollbacks, failures) and each step's commands and redacted
// output on click. Everything in it comes from the run record, which is redacted already.
import type { AnyStateMachine } from 'xstate';
import { deployMachine } from '../../machines/deploy.ts';
import { hostMachine } from '../../machines/host.ts';
import { roleSwapMachine } from '../../machines/role-swap.ts';
import { lastStates, type RunRecord } from './run-record.ts';
import { duration, type Timeline, type TimelineStep } from './run-timeline.ts';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface ChartNode {
  key: string;
  path: string;
  type: string;
  children: ChartNode[];
}

function chartOf(machine: AnyStateMachine): ChartNode {
  const walk = (node: { key: string; path: string[]; type: string; states: Record<string, unknown> }): ChartNode => ({
    key: node.key,
    path: node.path.join('.'),
    type: node.type,
    children: Object.values(node.states).map((child) => walk(child as typeof node)),
  });
  return walk(machine.root as unknown as Parameters<typeof walk>[0]);
}

// Every state path a recorded state value passes through: `boot.booting` → boot, boot.booting.
function visitedPaths(state: string): string[] {
  const bare = state.replace(/ \((done|stopped)\)$/, '');
  return bare.split(',').flatMap((leaf) => {
    const parts = leaf.split('.');
    return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
  });
}

interface Visits {
  count: Map<string, number>;
  order: Map<string, number>;
}

function visitsOf(states: string[]): Visits {
  const count = new Map<string, number>();
  const order = new Map<string, number>();
  for (const state of states) {
    for (const path of visitedPaths(state)) {
      count.set(path, (count.get(path) ?? 0) + 1);
      if (!order.has(path)) order.set(path, order.size + 1);
    }
  }
  return { count, order };
}

function renderChart(node: ChartNode, visits: Visits, root = true): string {
  const seen = visits.count.get(node.path);
  const classes = ['state', node.type, seen ? 'visited' : ''].filter(Boolean).join(' ');
  const badge = !root && seen ? `<span class="order" title="first entered as state ${visits.order.get(node.path)}, entered ${seen}×">${visits.order.get(node.path)}</span>` : '';
  const children = node.children.length ? `<div class="children">${node.children.map((c) => renderChart(c, visits, false)).join('')}</div>` : '';
  return `<div class="${classes}" data-state="${escape(node.path)}"><div class="name">${escape(root ? `${node.key} machine` : node.key)}${badge}</div>${children}</div>`;
}

const statusClass = (step: TimelineStep) => (step.rollback ? `rollback ${step.status.replace(' ', '-')}` : step.status.replace(' ', '-'));

export function renderRunView(timeline: Timeline, record: RunRecord): string {
  const t0 = timeline.startedAt ?? timeline.steps[0]?.start ?? 0;
  const last = Math.max(t0 + 1, timeline.endedAt ?? 0, ...timeline.steps.map((s) => s.end ?? s.start));
  const span = last - t0;
  const x = (at: number) => `${(((at - t0) / span) * 100).toFixed(3)}%`;
  const w = (from: number, to: number) => `max(3px, ${(((to - from) / span) * 100).toFixed(3)}%)`;

  // The stages row: each stage from its first step's start to its last step's end.
  const stageOrder = timeline.plan?.stages ?? [...new Set(timeline.steps.map((s) => s.stage))];
  const stageBars = stageOrder
    .map((stage) => {
      const steps = timeline.steps.filter((s) => s.stage === stage);
      if (steps.length === 0) return '';
      const from = Math.min(...steps.map((s) => s.start));
      const to = Math.max(...steps.map((s) => s.end ?? s.start));
      const failed = steps.some((s) => s.status === 'failed');
      return `<div class="bar stage${failed ? ' failed' : ''}" data-stage="${escape(stage)}" style="left:${x(from)};width:${w(from, to)}" title="${escape(`${stage}: ${duration(to - from)}`)}">${escape(stage)}</div>`;
    })
    .join('');

  const lanes = timeline.lanes
    .map((lane) => {
      const steps = timeline.steps.filter((s) => s.lane === lane);
      const bars = steps
        .map((s) => {
          const end = s.end ?? last;
          const tip = `${s.label}${s.attempt > 1 ? ` (try ${s.attempt})` : ''}: ${s.status}${s.end ? `, ${duration(s.end - s.start)}` : ''}${s.error ? ` — ${s.error.message}` : ''}`;
          return `<div class="bar step ${statusClass(s)}" data-key="${escape(s.key)}" data-stage="${escape(s.stage)}" data-status="${escape(s.status)}" style="left:${x(s.start)};width:${w(s.start, end)}" title="${escape(tip)}">${escape(s.label)}</div>`;
        })
        .join('');
      const failures = timeline.failures.filter((f) => (f.host ?? 'local') === lane);
      const failureText = failures.map((f) => `<div class="failure">✖ ${escape(`${f.role ? `${f.role} ` : ''}${f.stage}: ${f.message}`)}</div>`).join('');
      return `<div class="lane" data-host="${escape(lane)}"><div class="label">${escape(lane)}</div><div class="track">${bars}</div></div>${failureText ? `<div class="lane-failures" data-host="${escape(lane)}">${failureText}</div>` : ''}`;
    })
    .join('');

  const resumes = timeline.resumes.map((at) => `<div class="resume" style="left:${x(at)}" title="resumed">resumed</div>`).join('');

  const states = lastStates(record);
  const byDepth = (depth: number) => states.filter((s) => s.actor.split('/').length === depth).map((s) => s.state);
  const deployStates = states.filter((s) => s.actor === 'deploy').map((s) => s.state);
  const charts = [
    ['deploy', deployMachine, byDepth(1)],
    ['host (every server)', hostMachine, byDepth(2)],
    ['role swap (every role on every server)', roleSwapMachine, byDepth(3)],
  ] as const;
  const chartHtml = charts
    .map(([title, machine, visited]) => `<section class="chart"><h3>${escape(title)}</h3>${renderChart(chartOf(machine), visitsOf(visited))}</section>`)
    .join('');
  const path = deployStates.map((s) => escape(s)).join(' → ');

  const data = Object.fromEntries(
    timeline.steps.map((s) => [s.key, { label: s.label, lane: s.lane, attempt: s.attempt, status: s.status, start: s.start - t0, end: s.end === undefined ? null : s.end - t0, error: s.error ?? null, commands: s.commands }]),
  );
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028|\u2029/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const h = timeline.header;
  const title = `${h ? h.request.argv.join(' ') : timeline.runId} — ${timeline.status}`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(`Run ${timeline.runId}: ${title}`)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} h2{font-size:15px;margin:20px 0 6px} h3{font-size:13px;margin:4px 0}
.meta{color:#555}
.outcome-succeeded{color:#1a7f37}.outcome-failed,.outcome-broken{color:#c62828}.outcome-interrupted{color:#b26a00}
.gantt{position:relative;border:1px solid #ddd;padding:4px 0}
.lane{display:flex;align-items:center;min-height:26px;border-bottom:1px solid #f0f0f0}
.label{width:130px;flex:none;padding:0 6px;font-family:monospace;overflow:hidden;text-overflow:ellipsis}
.track{position:relative;flex:1;height:22px}
.bar{position:absolute;top:2px;height:18px;border-radius:3px;font-size:10px;line-height:18px;overflow:hidden;white-space:nowrap;padding:0 2px;box-sizing:border-box;cursor:pointer;color:#fff}
.bar.stage{background:#607d8b}.bar.ok{background:#2e7d32}.bar.retried{background:#ef8f00}.bar.failed{background:#c62828}
.bar.rollback{background:#6a1b9a}.bar.interrupted,.bar.in-flight{background:#9e9e9e}
.bar.selected{outline:2px solid #000}
.lane-failures{margin:0 0 6px 136px;color:#c62828}
.resume{position:absolute;top:0;bottom:0;border-left:2px dashed #b26a00;font-size:10px;color:#b26a00;padding-left:2px}
.overlay{position:absolute;left:136px;right:0;top:0;bottom:0;pointer-events:none}
#details{border:1px solid #ddd;padding:8px;margin-top:10px;min-height:40px}
#details pre{background:#f6f6f6;padding:6px;max-height:300px;overflow:auto;white-space:pre-wrap}
.command{margin:6px 0}.command code{font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.state{border:1px solid #bbb;border-radius:6px;padding:3px 6px;margin:3px;display:inline-block;vertical-align:top;background:#fff;color:#888}
.state.visited{border-color:#1565c0;background:#e3f2fd;color:#0d47a1}
.state.final{border-style:double;border-width:3px}
.children{display:flex;flex-wrap:wrap}
.order{display:inline-block;background:#1565c0;color:#fff;border-radius:8px;font-size:9px;padding:0 4px;margin-left:4px}
.path{font-family:monospace;font-size:11px;color:#555;word-break:break-word}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;color:#fff;border-radius:3px}
</style></head>
<body>
<h1>Run ${escape(timeline.runId)}</h1>
<div class="meta">${escape(h ? h.request.argv.join(' ') : '')} · version ${escape(h?.version ?? '?')} · <b class="outcome-${escape(timeline.status)}" id="outcome">${escape(timeline.status)}</b> · ${escape(duration(span))}${h?.lock ? ` · lock on ${escape(h.lock.host)}` : ''}${timeline.resumes.length ? ` · resumed ${timeline.resumes.length}×` : ''}</div>
${timeline.broken ? `<p class="outcome-broken">Record broken: ${escape(timeline.broken)}</p>` : ''}
<h2>Timeline</h2>
<div class="legend"><span style="background:#2e7d32">ok</span><span style="background:#ef8f00">retried</span><span style="background:#c62828">failed</span><span style="background:#6a1b9a">rollback</span><span style="background:#9e9e9e">interrupted</span></div>
<div class="gantt" id="gantt">
<div class="lane stages"><div class="label">stages</div><div class="track">${stageBars}</div></div>
${lanes}
<div class="overlay">${resumes}</div>
</div>
${timeline.failures.length ? `<h2>Failures</h2><ul id="failures">${timeline.failures.map((f) => `<li class="failure">${escape(`${f.host ?? 'local'}${f.role ? ` ${f.role}` : ''} ${f.stage}: ${f.message}`)}</li>`).join('')}</ul>` : ''}
<div id="details">Click a step to see its commands and their output.</div>
<h2>Statecharts</h2>
<p class="meta">Highlighted: the states this run entered (numbered in the order first entered).</p>
<div class="charts">${chartHtml}</div>
<h3>Path of the deploy machine</h3>
<div class="path" id="path">${path}</div>
<script id="steps" type="application/json">${json}</script>
<script>
(function(){
  var steps = JSON.parse(document.getElementById('steps').textContent);
  var details = document.getElementById('details');
  function el(tag, cls, text){ var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function secs(ms){ return ms === null ? '-' : (ms / 1000).toFixed(2) + 's'; }
  function show(key){
    var s = steps[key]; if (!s) return;
    document.querySelectorAll('.bar.selected').forEach(function(b){ b.classList.remove('selected'); });
    document.querySelectorAll('.bar.step').forEach(function(b){ if (b.getAttribute('data-key') === key) b.classList.add('selected'); });
    details.textContent = '';
    details.setAttribute('data-key', key);
    details.appendChild(el('h3', null, s.lane + ': ' + s.label + (s.attempt > 1 ? ' (try ' + s.attempt + ')' : '') + ' — ' + s.status));
    details.appendChild(el('div', 'meta', 'from +' + secs(s.start) + ' to ' + (s.end === null ? '(never finished)' : '+' + secs(s.end))));
    if (s.error) details.appendChild(el('div', 'failure', s.error.kind + ': ' + s.error.message));
    if (!s.commands.length) details.appendChild(el('div', 'meta', 'No command recorded for this step.'));
    s.commands.forEach(function(c){
      var box = el('div', 'command');
      box.appendChild(el('code', null, '[' + c.host + '] $ ' + c.line));
      box.appendChild(el('span', 'meta', ' exit ' + (c.exitCode === undefined ? '?' : c.exitCode) + (c.ms !== undefined ? ', ' + c.ms + ' ms' : '')));
      if (c.output) box.appendChild(el('pre', null, c.output));
      details.appendChild(box);
    });
  }
  document.getElementById('gantt').addEventListener('click', function(e){
    var bar = e.target.closest('.bar.step'); if (bar) { show(bar.getAttribute('data-key')); history.replaceState(null, '', '#step=' + encodeURIComponent(bar.getAttribute('data-key'))); }
  });
  var m = /^#step=(.+)$/.exec(location.hash); if (m) show(decodeURIComponent(m[1]));
})();
</script>
</body></html>
`;
}
