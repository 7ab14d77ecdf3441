import * as app from '../../commands/app.ts';
import type { StepEnv } from '../context.ts';
import { containerId, firstLine, selectedRolesOn } from '../steps/app.ts';
import { audit } from '../steps/server.ts';

// The fleet policy `revert` (x-sextant.fleet.on_failure), on one host that had switched to the
// new version when the deploy failed elsewhere: each role goes back to the container it ran
// before (started again where stopOld stopped it; kamal-proxy pointed back at it for proxy roles)
// and the new container is stopped and removed. Every step checks before it acts, so a retried
// or resumed revert does only what is left.
export async function revertHost(env: StepEnv, host: string): Promise<void> {
  const t = env.transport(host);
  const version = env.version;
  for (const role of selectedRolesOn(env, host)) {
    const newId = await containerId(env, host, role, version);
    if (!newId) continue;
    // Newest first, whatever their state: the first other version is the one this deploy replaced.
    const versions = (await t.exec(app.listVersions(env.config, role, { dockerArgs: ['--all'] }), { check: false })).stdout
      .split('\n')
      .map((v) => v.trim())
      .filter(Boolean);
    const previous = versions.find((v) => v !== version);
    if (previous) {
      await t.exec(app.appStart(env.config, role, previous));
      if (role.runsProxy) {
        const oldId = firstLine((await t.exec(app.containerIdForVersion(env.config, role, previous))).stdout);
        if (oldId) await t.exec(app.deployToProxy({ config: env.config, role, version: previous, target: oldId }));
      }
    }
    await t.exec(app.appStop(env.config, role, version), { check: false });
    await t.exec(app.removeContainer(env.config, role, version), { check: false });
    const outcome = previous ? `reverted to version ${previous}` : 'no previous version: removed it';
    await audit(env, host, `Deploy of ${version} failed elsewhere, ${outcome}`, role.name);
    env.bus.emit('log', { level: 'warn', host, message: `${role.name}: ${version} ${outcome}`, at: Date.now() });
  }
}
