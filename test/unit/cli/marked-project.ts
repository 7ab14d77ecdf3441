// A throwaway project whose hooks and local `docker` leave marks, so a test can tell what ran.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempProject } from '../config/temp-project.ts';

export interface MarkedProjectOptions {
  files: Record<string, string>;
  hooks: string[];
  /** The fake `docker` script put first on PATH. */
  docker: string;
  version: string;
}

export function markedProject(options: MarkedProjectOptions) {
  const p = tempProject({ Dockerfile: 'FROM scratch\n', ...options.files });
  const marks = join(p.dir, 'marks');
  mkdirSync(marks);
  mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
  for (const hook of options.hooks) {
    writeFileSync(join(p.dir, '.kamal/hooks', hook), `#!/bin/sh\ntouch '${join(marks, hook)}'\n`);
    chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
  }
  mkdirSync(join(p.dir, 'bin'));
  writeFileSync(join(p.dir, 'bin/docker'), options.docker.replaceAll('$MARKS', marks));
  chmodSync(join(p.dir, 'bin/docker'), 0o755);
  const env = { PATH: `${join(p.dir, 'bin')}:${process.env.PATH}`, HOME: p.dir, VERSION: options.version };
  return { ...p, marks, env, marked: (name: string) => existsSync(join(marks, name)) };
}
