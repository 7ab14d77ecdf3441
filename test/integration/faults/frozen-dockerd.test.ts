// The watchdog on real servers: dockerd frozen (SIGSTOP) on one of three servers at its docker pull
// and when the boot starts. Every docker command there hangs; each is killed at its deadline (on
// the server too) and retried, and the deploy ends, failed, within the deadlines and retries: it
// never hangs. The frozen server keeps serving the old version, the others too when the pull failed
// (no server boots), or the new one when it froze at the boot; the lock is released, and no
// request to the servers that did not freeze failed while the load ran.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureTestbed, faults } from '../../testbed/index.ts';
import { serverShell } from '../engine/inspect.ts';
import { assertOneVersionEach, containersOf, deployWithFault, failuresOn, loadOn, lockState, makeFaultProject, POINTS, recordTime, startFromV1, versionTrack } from './helpers.ts';

const testbed = await ensureTestbed({ servers: 3 });
const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
const [primary, second, frozen] = servers as [string, string, string];
const COMMAND_DEADLINE = 6;
const project = makeFaultProject(testbed, {
  service: 'ffrozen',
  servers,
  retry: { attempts: 2, base_delay: 1, max_delay: 1 },
  sextant: `  deadlines:\n    command: ${COMMAND_DEADLINE}\n    pull: ${COMMAND_DEADLINE}\n`,
});

startFromV1(test, project, servers);

const versions = versionTrack();

for (const [point, others, deadline] of [[POINTS.pull, 'old', 'pull'], [POINTS.boot, 'new', 'command']] as const) {
  test(`dockerd frozen on one server at the ${point.name}: its steps time out, are retried, and the deploy fails instead of hanging`, async () => {
    const [old, next] = [versions.serving, versions.fresh()];
    const load = loadOn(servers, project);
    let run;
    let leftOver = '';
    try {
      run = await deployWithFault(project, next, point, frozen, () => faults.freezeDocker(frozen));
      // Still frozen: a docker client the watchdog did not kill on the server would still be there.
      leftOver = (await serverShell(frozen, `pgrep -af '[s]ervice=${project.service}|[d]ocker pull' || true`)).trim();
    } finally {
      await faults.thawDocker(frozen).catch(() => {});
    }
    const traffic = await load.stop();
    recordTime(`frozen dockerd at the ${point.name}`, 'deploy ended (failed) after', run.endedAt - run.faultedAt);
    assert.ok(run.result.code !== 0, 'the deploy fails');
    assert.match(run.result.stdout + run.result.stderr, new RegExp(`timed out after ${COMMAND_DEADLINE}s \\(${deadline} deadline\\), killed`));
    const retries = run.events.filter((e) => e.type === 'retry' && e.host === frozen);
    assert.ok(retries.length >= 1, `the timed-out step was retried on ${frozen}: ${JSON.stringify(retries)}`);
    assert.ok(retries.every((r) => /timed out/.test(String(r.reason))), 'each retry was for a timeout');

    assert.is(leftOver, '', 'no docker client of this run was left hanging on the frozen server');
    assert.is(await lockState(primary, project), 'free', 'the lock is released');
    const othersOn = others === 'old' ? old : next;
    await assertOneVersionEach(project, { [primary]: othersOn, [second]: othersOn, [frozen]: old });
    assert.equal((await containersOf(frozen, project, next)).map((c) => c.name), [], `no ${next} container on the frozen server`);
    // On the frozen server kamal-proxy cannot resolve the container's name while Docker's embedded
    // DNS is stopped with the daemon, so requests there fail for as long as the fault lasts,
    // whatever the deploy does: kamal-proxy answers 504, or, when its lookup outlasts the load's 5 s,
    // the request times out first. That is the fault's, not the deploy's, and no other failure
    // (a refused connection, a 502 from a stopped container, a 404 without a route) appears.
    assert.equal(failuresOn(traffic, [primary, second]), [], 'no request to the other servers failed');
    assert.equal(failuresOn(traffic, [frozen]).filter((f) => !/: HTTP 504\b|: timeout$/.test(f)), [], "only the frozen DNS's 504s and timeouts on the frozen server");
    // The frozen server got no new container. After the boot row (the last) the servers differ.
    versions.serving = othersOn;
  });
}

test.run();
