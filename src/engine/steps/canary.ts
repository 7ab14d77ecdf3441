// One host's part of a canary (docs/canary.md): the role-swap steps of a proxy role when the new
// version goes live as kamal-proxy's rollout target (canary) and when it takes all the traffic
// (promote), the abort, and the health probe `--canary-for` watches.
import * as app from '../../commands/app.ts';
import { rolloutDeploy, rolloutSet, rolloutStop, type RolloutSplit } from '../../commands/proxy-rollout.ts';
import type { RoleConfig } from '../../config/index.ts';
import { RemoteError } from '../../remote/failures.ts';
import type { SwapStepInput, SwapStepOutput } from '../../../machines/role-swap.ts';
import type { StepEnv } from '../context.ts';
import { containerId, firstLine, roleNamed, selectedRolesOn, swapStep } from './app.ts';
import { audit } from './server.ts';

// The version kamal-proxy's live target runs during a canary: the running container of another
// version. (The running-version probe would answer the canary: it is the newest container.)
export async function liveVersionBeside(env: StepEnv, host: string, role: RoleConfig, canary: string): Promise<string | undefined> {
  const listed = await env.transport(host).exec(app.listVersions(env.config, role), { check: false });
  return listed.stdout
    .split('\n')
    .map((v) => v.trim())
    .find((v) => v && v !== canary);
}

async function requireContainer(env: StepEnv, host: string, role: RoleConfig, version: string, knownId?: string): Promise<string> {
  const id = knownId ?? (await containerId(env, host, role, version));
  if (!id) throw new RemoteError(`No container ${app.appContainerName(role, version)} on ${host}: is a canary of version ${version} pending there?`, 'permanent', host);
  return id;
}

// The canary run: the new container starts as a deploy's does, then becomes the rollout target
// with its share; the previous version keeps the live target (no stopOld).
export async function canarySwapStep(env: StepEnv, input: SwapStepInput, split: RolloutSplit): Promise<SwapStepOutput> {
  const role = roleNamed(env, input.role);
  if (!role.runsProxy) return swapStep(env, input);
  const t = env.transport(input.host);
  switch (input.step) {
    case 'health': {
      const id = await requireContainer(env, input.host, role, input.version, input.containerId);
      await t.exec(rolloutDeploy({ config: env.config, role, target: id }));
      await t.exec(rolloutSet(role, split));
      return {};
    }
    case 'stopOld':
      return {};
    case 'rollback':
      await t.exec(rolloutStop(role), { check: false });
      return swapStep(env, input);
    default:
      return swapStep(env, input);
  }
}

// The promote run: the canary container (already running) becomes kamal-proxy's live target, the
// rollout is stopped, and the previous version is stopped as in any deploy. Roles without the
// proxy were not booted by the canary: they swap as in a deploy.
export async function promoteSwapStep(env: StepEnv, input: SwapStepInput): Promise<SwapStepOutput> {
  const role = roleNamed(env, input.role);
  if (!role.runsProxy) return swapStep(env, input);
  const t = env.transport(input.host);
  switch (input.step) {
    case 'renameClash':
      await requireContainer(env, input.host, role, input.version);
      return { oldVersion: await liveVersionBeside(env, input.host, role, input.version) };
    case 'start':
      // Idempotent: the canary container normally runs already.
      await t.exec(app.appStart(env.config, role, input.version));
      return {};
    case 'health': {
      const id = await requireContainer(env, input.host, role, input.version);
      await t.exec(app.deployToProxy({ config: env.config, role, version: input.version, target: id }));
      await t.exec(rolloutStop(role));
      return {};
    }
    case 'rollback':
      await t.exec(rolloutStop(role), { check: false });
      return swapStep(env, input);
    case 'stopOld':
      return swapStep(env, input);
  }
}

// Abort on one host: kamal-proxy stops sending requests to the canary, the rollout slot is pointed
// back at the live container (kamal-proxy then drains the canary's requests in flight), and the
// canary containers are stopped and removed.
export async function abortCanaryOn(env: StepEnv, host: string, version: string): Promise<void> {
  const t = env.transport(host);
  for (const role of selectedRolesOn(env, host).filter((r) => r.runsProxy)) {
    await t.exec(rolloutStop(role), { check: false });
    if (!(await containerId(env, host, role, version))) continue;
    const live = await liveVersionBeside(env, host, role, version);
    const liveId = live ? await containerId(env, host, role, live) : undefined;
    if (liveId) await t.exec(rolloutDeploy({ config: env.config, role, target: liveId }));
    await audit(env, host, `Aborted the canary of app version ${version}${live ? `, kept version ${live}` : ''}`, role.name);
    await t.exec(app.appStop(env.config, role, version), { check: false });
    await t.exec(app.removeContainer(env.config, role, version));
  }
}

// The canary's containers on one host that are not `healthy` or `running`, with their state.
export async function unhealthyCanaries(env: StepEnv, host: string, version: string): Promise<string[]> {
  const bad: string[] = [];
  for (const role of selectedRolesOn(env, host).filter((r) => r.runsProxy)) {
    const result = await env.transport(host).exec(app.appStatus(env.config, role, version), { check: false });
    const state = firstLine(result.stdout) ?? 'missing';
    if (state !== 'healthy' && state !== 'running') bad.push(`${app.appContainerName(role, version)} on ${host} is ${state}`);
  }
  return bad;
}
