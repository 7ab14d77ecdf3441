// A throwaway project as `sextant init` leaves it, with `.kamal/secrets` replaced when `secrets` is given.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { tempProject } from '../config/temp-project.ts';

export async function initedProject(secrets?: string): Promise<{ dir: string; cleanup: () => void }> {
  const p = tempProject({});
  const io = captureIO(p.dir);
  assert.is(await runCli(['init'], io), 0, io.stderr);
  if (secrets !== undefined) writeFileSync(join(p.dir, '.kamal/secrets'), secrets);
  return p;
}
