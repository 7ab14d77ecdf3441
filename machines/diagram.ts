import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { deployMachine } from './deploy.ts';
import { hostMachine } from './host.ts';
import { roleSwapMachine } from './role-swap.ts';

// The machines' charts as graphs, read from their definitions: for the mermaid diagrams in
// docs/architecture.md (scripts/machine-diagrams.ts writes them; a test checks they are current)
// and for the tests that check every state is reachable and every way to failure passes the lock.

export interface Edge {
  source: AnyStateNode;
  target: AnyStateNode;
  // The event ('' for an eventless transition), as written in the chart.
  event: string;
  guard?: string;
}

type TransitionLike = { target?: readonly AnyStateNode[]; eventType: string; guard?: unknown };

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown[] }).guards;
    return parts ? parts.map(guardName).join(' and ') : guard.name || 'guard';
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'guard';
}

export function allStates(machine: AnyStateMachine): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    out.push(node);
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root);
  return out;
}

// The transitions a state node itself declares: on events (its actors' done and error included),
// on its own children finishing, and eventless ones.
export function edgesOf(node: AnyStateNode): Edge[] {
  const transitions: TransitionLike[] = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
  return transitions.flatMap((t) => (t.target ?? []).map((target) => ({ source: node, target, event: t.eventType, guard: guardName(t.guard) })));
}

const ancestry = (node: AnyStateNode): AnyStateNode[] => (node.parent ? [node, ...ancestry(node.parent)] : [node]);

// The atomic state a transition into `node` ends in (initial children all the way down).
function settle(node: AnyStateNode): AnyStateNode {
  const initial = node.initial?.target?.[0] as AnyStateNode | undefined;
  return node.type === 'compound' && initial ? settle(initial) : node;
}

// What can happen in an atomic state: eventless transitions of it and its ancestors, and for each
// event the transitions of the deepest state that handles it (as xstate picks them; an ancestor's
// are kept too where the deeper ones are all guarded).
function moves(atomic: AnyStateNode): AnyStateNode[] {
  const targets: AnyStateNode[] = [];
  const handled = new Set<string>();
  for (const node of ancestry(atomic)) {
    const byEvent = new Map<string, Edge[]>();
    for (const edge of edgesOf(node)) byEvent.set(edge.event, [...(byEvent.get(edge.event) ?? []), edge]);
    for (const [event, edges] of byEvent) {
      if (event !== '' && handled.has(event)) continue;
      targets.push(...edges.map((edge) => edge.target));
      if (event !== '' && edges.some((edge) => edge.guard === undefined)) handled.add(event);
    }
  }
  return targets;
}

// Every state reachable from `from` (the machine's start by default), guards taken as passable;
// states for which `stop` holds are reached but not left.
export function reachable(machine: AnyStateMachine, options: { from?: AnyStateNode; stop?: (node: AnyStateNode) => boolean } = {}): Set<AnyStateNode> {
  const seen = new Set<AnyStateNode>();
  const queue = [settle(options.from ?? machine.root)];
  while (queue.length > 0) {
    const atomic = queue.shift() as AnyStateNode;
    if (seen.has(atomic)) continue;
    for (const node of ancestry(atomic)) seen.add(node);
    if (options.stop?.(atomic) || ancestry(atomic).some((node) => options.stop?.(node))) continue;
    for (const target of moves(atomic)) queue.push(settle(target));
  }
  return seen;
}

// --- mermaid ---------------------------------------------------------------------------------

export interface DiagramOptions {
  // State nodes (by id) whose children are drawn; the others are drawn as one state.
  expand: string[];
}

const label = (edge: Edge): string => {
  const event = edge.event.startsWith('xstate.done.')
    ? 'done'
    : edge.event.startsWith('xstate.error.')
      ? 'error'
      : edge.event;
  return [event, edge.guard ? `[${edge.guard}]` : ''].filter(Boolean).join(' ');
};

export function mermaid(machine: AnyStateMachine, options: DiagramOptions): string {
  const expanded = new Set([machine.root.id, ...options.expand]);
  const drawn = (node: AnyStateNode): AnyStateNode => (node.parent === undefined || expanded.has(node.parent.id) ? node : drawn(node.parent));
  const mermaidId = (node: AnyStateNode) => node.path.join('_');
  // Transitions between drawn states, lifted to siblings (an edge leaving a composite state is
  // drawn from the composite), with the labels of all the transitions they stand for.
  const edges = new Map<string, { source: AnyStateNode; target: AnyStateNode; labels: Set<string> }>();
  const global: string[] = [];
  for (const node of allStates(machine)) {
    for (const edge of edgesOf(node)) {
      if (node === machine.root) {
        global.push(`${label(edge)} → ${edge.target.path.join('.')}`);
        continue;
      }
      let source = drawn(node);
      let target = drawn(edge.target);
      while (source.parent !== target.parent) {
        if (source.path.length >= target.path.length) source = source.parent as AnyStateNode;
        else target = target.parent as AnyStateNode;
      }
      if (source === target) continue;
      const key = `${source.id}→${target.id}`;
      const entry = edges.get(key) ?? { source, target, labels: new Set<string>() };
      const text = label(edge);
      if (text) entry.labels.add(text);
      edges.set(key, entry);
    }
  }

  const lines = ['stateDiagram-v2'];
  const block = (parent: AnyStateNode, indent: string) => {
    const children = Object.values(parent.states) as AnyStateNode[];
    const initial = parent.initial?.target?.[0] as AnyStateNode | undefined;
    if (initial) lines.push(`${indent}[*] --> ${mermaidId(initial)}`);
    for (const child of children) {
      const id = mermaidId(child);
      if (id !== child.key) lines.push(`${indent}state "${child.key}" as ${id}`);
      if (expanded.has(child.id) && Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id} {`);
        block(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
    for (const { source, target, labels } of edges.values()) {
      if (source.parent !== parent) continue;
      const text = [...labels].join(', ');
      lines.push(`${indent}${mermaidId(source)} --> ${mermaidId(target)}${text ? `: ${text}` : ''}`);
    }
    for (const child of children) if (child.type === 'final') lines.push(`${indent}${mermaidId(child)} --> [*]`);
  };
  block(machine.root, '  ');

  const table = ['| state | what happens there |', '|---|---|'];
  for (const node of allStates(machine)) {
    if (node !== machine.root && drawn(node) === node) table.push(`| \`${node.path.join('.')}\` | ${node.description ?? ''} |`);
  }
  return [
    '```mermaid',
    ...lines,
    '```',
    '',
    ...(global.length ? [`Anywhere in the machine: ${global.map((g) => `\`${g}\``).join(', ')}.`, ''] : []),
    ...table,
  ].join('\n');
}

// The section of docs/architecture.md between the two markers.
export const DIAGRAMS_BEGIN = '<!-- machine diagrams: generated from machines/*.ts by `node --import tsx scripts/machine-diagrams.ts`; do not edit by hand -->';
export const DIAGRAMS_END = '<!-- end of machine diagrams -->';

export function machineDiagrams(): string {
  return [
    DIAGRAMS_BEGIN,
    '',
    '### deploy',
    '',
    `${deployMachine.root.description ?? ''}. Each stage's own states (its plan check, its run, its failure) are drawn as the stage; \`boot\` is drawn whole.`,
    '',
    mermaid(deployMachine, { expand: ['deploy.locked', 'deploy.locked.boot'] }),
    '',
    '### host (one per server)',
    '',
    `${hostMachine.root.description ?? ''}.`,
    '',
    mermaid(hostMachine, { expand: ['host.stage', 'host.boot'] }),
    '',
    '### role-swap (one role on one host)',
    '',
    `${roleSwapMachine.root.description ?? ''}. Each step has the \`running\` → \`scheduling\` → \`backoff\` → \`running\` retry shape drawn in the host's \`stage\` above.`,
    '',
    mermaid(roleSwapMachine, { expand: [] }),
    '',
    DIAGRAMS_END,
  ].join('\n');
}

export function withDiagrams(doc: string): string {
  const begin = doc.indexOf(DIAGRAMS_BEGIN);
  const end = doc.indexOf(DIAGRAMS_END);
  if (begin === -1 || end === -1 || end < begin) throw new Error('docs/architecture.md has no machine diagrams section (its two markers)');
  return doc.slice(0, begin) + machineDiagrams() + doc.slice(end + DIAGRAMS_END.length);
}
