// npm run testbed -- up [--servers N] [--fresh] | down [--purge] | status [--json] | env | fault <control> <server> [ms]
import * as faults from './faults.ts';
import { currentTestbed, teardown, testbedStatus, upWithTimings } from './testbed.ts';
import type { NodeStatus } from './testbed.ts';

const usage = `usage: npm run testbed -- <command>
  up [--servers N] [--fresh]  bring the testbed up with exactly N servers (default 3); idempotent,
                              undoes faults; --fresh re-creates the servers empty
  down [--purge]              take it down; --purge also deletes keys, CA and registry password
  status [--json]             what is running, memory per server
  env                         shell exports for using the testbed (DOCKER_HOST, registry, key)
  fault <control> <server> [ms]
                              one fault control of docs/testbed.md on one server, e.g.
                              fault blockRegistry srv2, fault addSshLatency srv3 200, fault clearAll srv3`;

// The fault controls a shell may call: each takes a server, addSshLatency also the delay in ms.
const FAULT_CONTROLS = [
  'stopSshd', 'startSshd', 'cutLink', 'restoreLink', 'dropSsh', 'resetSsh', 'clearSshFilters', 'addSshLatency', 'removeSshLatency',
  'blockRegistry', 'unblockRegistry', 'freezeDocker', 'thawDocker', 'failHealthcheck', 'restoreHealthcheck', 'clearAll',
] as const;
type FaultControl = (typeof FAULT_CONTROLS)[number];

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function statusLine(s: NodeStatus): string {
  return [
    s.name.padEnd(9),
    s.ip.padEnd(12),
    `dockerd=${s.dockerd}`.padEnd(16),
    `sshd=${s.sshd}`.padEnd(12),
    `link=${s.link}`.padEnd(10),
    `procs=${s.processes}`.padEnd(9),
    `mem=${mib(s.memoryBytes)}`.padEnd(13),
    `rss=${mib(s.rssBytes)}`,
    s.faultRules || s.delayProxy || s.unhealthyApp ? ` faults: rules=${s.faultRules} delay=${s.delayProxy} unhealthy=${s.unhealthyApp}` : '',
  ].join(' ');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (command) {
    case 'up': {
      const serversText = value('--servers');
      const servers = serversText === undefined ? 3 : Number(serversText);
      if (!Number.isInteger(servers) || servers < 1) {
        console.error(`--servers must be a positive integer, got ${serversText}`);
        return 2;
      }
      const { info, timings } = await upWithTimings({ servers, fresh: flag('--fresh'), log: (l) => console.log(`… ${l}`) });
      console.log(`testbed up in ${timings.totalMs} ms (${Object.entries(timings.phases).map(([k, v]) => `${k} ${v}`).join(', ')})`);
      for (const s of info.servers) console.log(`  ${s.name}  root@${s.ip}`);
      console.log(`  registry  ${info.registry.host} (user ${info.registry.username}, password in ${info.registry.passwordPath})`);
      console.log(`  deployer  DOCKER_HOST=${info.deployer.dockerHost}`);
      console.log(`  ssh key   ${info.sshKeyPath}`);
      return 0;
    }
    case 'down':
      await teardown({ purge: flag('--purge') });
      console.log('testbed down');
      return 0;
    case 'status': {
      const status = await testbedStatus();
      if (flag('--json')) {
        console.log(JSON.stringify(status, null, 2));
        return status.up ? 0 : 1;
      }
      console.log(`testbed ${status.up ? 'up' : 'not up'}: bridge ${status.bridge ? 'present' : 'absent'}, registry ${status.registry}`);
      if (status.deployer) console.log(`  ${statusLine(status.deployer)}`);
      for (const s of status.servers) console.log(`  ${statusLine(s)}`);
      return status.up ? 0 : 1;
    }
    case 'env': {
      const info = currentTestbed();
      console.log(`export DOCKER_HOST=${info.deployer.dockerHost}`);
      console.log(`export SEXTANT_TESTBED_REGISTRY=${info.registry.host}`);
      console.log(`export SEXTANT_TESTBED_SSH_KEY=${info.sshKeyPath}`);
      console.log(`export SEXTANT_TESTBED_SERVERS=${info.servers.map((s) => s.ip).join(',')}`);
      return 0;
    }
    case 'fault': {
      const [control, server, ms] = rest;
      if (!FAULT_CONTROLS.includes(control as FaultControl) || !server || (control === 'addSshLatency') !== (ms !== undefined)) {
        console.error(`usage: npm run testbed -- fault <control> <server> [ms]; controls: ${FAULT_CONTROLS.join(', ')} (addSshLatency takes ms)`);
        return 2;
      }
      if (control === 'addSshLatency') await faults.addSshLatency(server, Number(ms));
      else await faults[control as Exclude<FaultControl, 'addSshLatency'>](server);
      console.log(`${control} ${server}${ms === undefined ? '' : ` ${ms}`}: done`);
      return 0;
    }
    default:
      console.error(usage);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

// A closed pipe (`… | head`) must not kill an `up` or `down` halfway.
process.stdout.on('error', () => undefined);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`testbed: ${err.message}`);
    process.exit(1);
  },
);
