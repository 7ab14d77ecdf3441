import { enqueueActions, sendParent, setup } from 'xstate';
import { hostMachine, type HostInput, type HostReport } from './host.ts';
import type { HostStage } from './plan.ts';
import type { BarrierEvent } from './role-swap.ts';

// Up to GROUP_SIZE of a deployment's host actors under one parent. xstate copies an actor's table
// of children each time it spawns or stops one, so a deployment with one child per server spends
// time quadratic in the size of the fleet (at 1,000 hosts most of the engine's time went to
// copying). Under groups every table stays small and the cost is linear. A group only relays: the
// deployment's RUN and BOOT to the hosts they name, its barrier news to every host, and each
// host's report to the deployment unchanged. Hosts keep their ids (the server), so the run record
// names them as before; the group itself is left out of the record's actor paths.

export const GROUP_SIZE = 32;

export interface HostGroupInput {
  hosts: HostInput[];
}

interface HostGroupContext {
  hosts: HostInput[];
}

// What the deployment sends a group: RUN and BOOT name the group's hosts that take part.
export type GroupCommand = { type: 'RUN'; stage: HostStage; hosts: string[] } | { type: 'BOOT'; hosts: string[] } | BarrierEvent;

type HostGroupEvent = GroupCommand | HostReport;

// A group's actor id: no server's name has a space in it.
export const groupId = (index: number): string => `hosts ${index + 1}`;

const hostGroupSetup = setup({
  types: {
    input: {} as HostGroupInput,
    context: {} as HostGroupContext,
    events: {} as HostGroupEvent,
  },
  actors: { host: hostMachine },
  actions: {
    spawnHosts: enqueueActions(({ context, enqueue }) => {
      for (const input of context.hosts) enqueue.spawnChild('host', { id: input.host, input });
    }),
    fanOut: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'RUN') for (const host of event.hosts) enqueue.sendTo(host, { type: 'RUN', stage: event.stage });
      else if (event.type === 'BOOT') for (const host of event.hosts) enqueue.sendTo(host, { type: 'BOOT' });
    }),
    broadcast: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BARRIER.OPENED' && event.type !== 'BARRIER.CLOSED') return;
      for (const { host } of context.hosts) enqueue.sendTo(host, { type: event.type });
    }),
    relay: sendParent(({ event }) => event as HostReport),
  },
});

export const hostGroupMachine = hostGroupSetup.createMachine({
  id: 'hostGroup',
  description: "Up to 32 of the deployment's host actors: passes the deployment's commands down and the hosts' reports up",
  context: ({ input }) => ({ hosts: input.hosts }),
  entry: 'spawnHosts',
  initial: 'relaying',
  states: {
    relaying: {
      description: "Passes RUN and BOOT to the hosts they name, barrier news to every host, and every host's report to the deployment",
      on: {
        RUN: { actions: 'fanOut' },
        BOOT: { actions: 'fanOut' },
        'BARRIER.OPENED': { actions: 'broadcast' },
        'BARRIER.CLOSED': { actions: 'broadcast' },
        'HOST.DONE': { actions: 'relay' },
        'HOST.FAILED': { actions: 'relay' },
        'BARRIER.OPEN': { actions: 'relay' },
        'BARRIER.CLOSE': { actions: 'relay' },
      },
    },
  },
});

// The plan's hosts in groups of GROUP_SIZE, in the plan's order, and the group of each host. It
// depends on the host list alone, so a resumed or replayed run groups its hosts the same way.
export interface Grouping {
  groups: string[][];
  groupOf: Map<string, number>;
}

const groupings = new WeakMap<readonly string[], Grouping>();

export function grouping(hosts: readonly string[]): Grouping {
  let known = groupings.get(hosts);
  if (known) return known;
  const groups: string[][] = [];
  const groupOf = new Map<string, number>();
  hosts.forEach((host, i) => {
    const index = Math.floor(i / GROUP_SIZE);
    (groups[index] ??= []).push(host);
    groupOf.set(host, index);
  });
  known = { groups, groupOf };
  groupings.set(hosts, known);
  return known;
}

// `hosts` cut into runs of consecutive hosts of one group: [group index, hosts], in the order
// given, so the hosts hear a command in the same order as if the deployment told each one itself.
export function byGroup(all: readonly string[], hosts: readonly string[]): Array<[number, string[]]> {
  const { groupOf } = grouping(all);
  const runs: Array<[number, string[]]> = [];
  for (const host of hosts) {
    const index = groupOf.get(host);
    if (index === undefined) throw new Error(`host ${host} is not one of the plan's hosts`);
    const last = runs.at(-1);
    if (last && last[0] === index) last[1].push(host);
    else runs.push([index, [host]]);
  }
  return runs;
}
