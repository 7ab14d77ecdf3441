// The watchdog on real servers: dockerd frozen (SIGSTOP) on one of three servers when the boot
// starts. Every docker command there hangs; each is killed at its deadline (on the server too) and
// retried, and the deploy ends, failed, within the deadlines and retries: it never hangs. The
// other servers move to the new version, the frozen one keeps serving the old one, the lock is
// released, and no request to that server failed while the load ran.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { serverShell } from '../engine/inspect.ts';
import { sextant, sextantStreaming } from '../engine/project.ts';
import { assertOneVersionEach, containersOf, failuresOn, loadOn, lockState, makeFaultProject, recordTime, startFromV1 } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, frozen] = servers as [string, string, string];
const COMMAND_DEADLINE = 6;
const project = makeFaultProject(testbed, {
  service: 'ffrozen',
  servers,
  retry: { attempts: 2, base_delay: 1, max_delay: 1 },
  sextant: `  deadlines:\n    command: ${COMMAND_DEADLINE}\n`,
});

startFromV1(test, project, servers);

test('dockerd frozen on one server at boot: its steps time out, are retried, and the deploy fails instead of hanging', async () => {
  const load = loadOn(servers, project);
  const events: Array<{ type: string; [k: string]: unknown }> = [];
  let froze = false;
  let result;
  let leftOver = '';
  const started = Date.now();
  let elapsed = 0;
  try {
    result = await sextantStreaming(project, ['deploy', '--version', 'v2'], (event) => {
      events.push(event);
      if (event.type === 'stage.started' && event.stage === 'boot' && !froze) {
        froze = true;
        void faults.freezeDocker(frozen);
      }
    });
    elapsed = Date.now() - started;
    // Still frozen: a docker client the watchdog did not kill on the server would still be there.
    leftOver = (await serverShell(frozen, `pgrep -af '[s]ervice=${project.service}' || true`)).trim();
  } finally {
    await faults.thawDocker(frozen).catch(() => {});
  }
  const traffic = await load.stop();
  assert.ok(froze, 'dockerd was frozen');
  assert.ok(result.code !== 0, 'the deploy fails');
  const output = result.stdout + result.stderr;
  assert.match(output, /timed out after 6s \(command deadline\), killed/);
  const retries = events.filter((e) => e.type === 'retry' && e.host === frozen);
  assert.ok(retries.length >= 1, `the timed-out step was retried on ${frozen}: ${JSON.stringify(retries)}`);
  assert.ok(retries.every((r) => /timed out/.test(String(r.reason))), 'each retry was for a timeout');

  assert.is(leftOver, '', 'no docker client of this run was left hanging on the frozen server');
  assert.is(await lockState(primary, project), 'free', 'the lock is released');
  await assertOneVersionEach(project, { [primary]: 'v2', [second]: 'v2', [frozen]: 'v1' });
  assert.equal((await containersOf(frozen, project, 'v2')).map((c) => c.name), [], 'no v2 container on the frozen server');
  // The servers that switched did so without a failed request. On the frozen one kamal-proxy
  // cannot resolve the container's name while Docker's embedded DNS is stopped with the daemon,
  // so requests there get 504s for as long as the fault lasts, whatever the deploy does: that is
  // the fault's, not the deploy's, and no other failure appears there.
  assert.equal(failuresOn(traffic, [primary, second]), [], 'no request to the servers that switched failed');
  assert.equal(failuresOn(traffic, [frozen]).filter((f) => !/HTTP 504/.test(f)), [], 'only the frozen DNS\'s 504s on the frozen server');
  recordTime('frozen dockerd at boot', 'deploy ended (failed) after', elapsed);
});

test.run();
