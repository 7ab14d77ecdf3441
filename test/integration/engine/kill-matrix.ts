// The kill matrix (docs/runs.md): a 3-server deploy of the example app under 20 req/s per server,
// SIGKILLed at a point, then `sextant resume`. One uvu test per kill point; the kill comes from the
// engine's test hook SEXTANT_TEST_KILL_AT (see src/engine/run-recorder.ts), so it lands exactly
// at the point whatever the timing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stagesFor } from '../../../src/engine/plan.ts';
import { ensureTestbed } from '../../testbed/index.ts';
import { serverShell } from './inspect.ts';
import { startLoad } from './load.ts';
import { makeProject, removeApp } from './project.ts';
import { answer, assertCleanlyOn, said, sextantProcess } from './runs-helpers.ts';

export const deployStages = stagesFor({ command: 'deploy', skipPush: false, lockInherited: false });

export interface KillPoint {
  at: string; // SEXTANT_TEST_KILL_AT
  what: string;
}

// Each stage boundary: killed just before the stage's first step starts (everything before it done).
export const stageBoundaries: KillPoint[] = deployStages.map((stage, i) => ({
  at: stage,
  what: i === 0 ? `before ${stage} (nothing done yet)` : `between ${deployStages[i - 1]} and ${stage}`,
}));

export async function killMatrix(service: string, points: KillPoint[]): Promise<void> {
  const testbed = await ensureTestbed({ servers: 3 });
  const servers = testbed.servers.slice(0, 3).map((s) => s.ip);
  const project = makeProject(testbed, { service, servers });
  const host = `${service}.test`;

  test.before(async () => {
    await removeApp(project, servers, serverShell);
    const first = await sextantProcess(project, ['deploy', '--version', 'k0']);
    assert.is(first.code, 0, said(first));
  });

  test.after(async () => {
    await removeApp(project, servers, serverShell);
    project.cleanup();
  });

  for (const [index, point] of points.entries()) {
    const version = `k${index + 1}`;
    test(`killed ${point.what} (${point.at.replaceAll(servers[1] as string, 'server2')}): resume finishes the deploy, 0 failed requests`, async () => {
      const load = startLoad(servers, { rps: 20, maxSeconds: 600, hostHeader: host });
      let loadResult;
      try {
        const killed = await sextantProcess(project, ['deploy', '--version', version], { SEXTANT_TEST_KILL_AT: point.at.replace('server2', servers[1] as string) });
        assert.is(killed.signal, 'SIGKILL', `the deploy was killed at ${point.at}: ${said(killed)}`);
        const listed = await sextantProcess(project, ['runs', '-n', '1']);
        assert.match(listed.stdout, new RegExp(`deploy\\s+${version}\\s.*\\binterrupted\\b`), listed.stdout);

        const resumed = await sextantProcess(project, ['resume']);
        assert.is(resumed.code, 0, said(resumed));
        assert.match(resumed.stdout, /Resuming run \S+ \(deploy --version k\d+\)/);
      } finally {
        await new Promise((r) => setTimeout(r, 500));
        loadResult = await load.stop();
      }
      assert.ok(loadResult.total >= 20, `the load ran (${loadResult.total} requests)`);
      assert.equal(loadResult.failures, [], `${loadResult.failures.length} of ${loadResult.total} requests failed`);
      for (const server of servers) {
        assert.is(await answer(server, host), `200 ${version}`, `${server} answers ${version}`);
        await assertCleanlyOn(server, project, version);
      }
      const replay = await sextantProcess(project, ['replay', 'last']);
      assert.is(replay.code, 0, said(replay));
      assert.match(replay.stdout, /Same outcome: succeeded/);
    });
  }
  test.run();
}
