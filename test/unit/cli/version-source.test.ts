// Where the version comes from when nothing declares it: the git commit. A folder with no commit
// (no repository, or a fresh `git init`) says which, and what to do. Lock commands need a version
// only where Kamal's do: `lock acquire` writes it into the lock details; status and release do not.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { initedProject as initedProjectWith } from './inited-project.ts';

const initedProject = () => initedProjectWith('KAMAL_REGISTRY_PASSWORD=registry-password-value\nRAILS_MASTER_KEY=master-key-value\n');

test('deploy --dry-run in a git repository with no commit yet says so, and how to give a version', async () => {
  const p = await initedProject();
  try {
    execFileSync('git', ['init', '-q', p.dir]);
    const io = captureIO(p.dir);
    assert.is(await runCli(['deploy', '--dry-run'], io), 1);
    assert.match(io.stderr, `the git repository in ${p.dir} has no commit yet (commit, or pass --version or set VERSION)`);
    assert.not.match(io.stderr, 'no git repository found');
  } finally {
    p.cleanup();
  }
});

test('deploy --dry-run outside any git repository says there is none, and how to give a version', async () => {
  const p = await initedProject();
  try {
    const io = captureIO(p.dir);
    assert.is(await runCli(['deploy', '--dry-run'], io), 1);
    assert.match(io.stderr, `no git repository found in ${p.dir} (commit, or pass --version or set VERSION)`);
  } finally {
    p.cleanup();
  }
});

test('outside git, lock status and lock release need no version; lock acquire does, as in Kamal', async () => {
  const p = await initedProject();
  try {
    for (const command of [['lock', 'status'], ['lock', 'release']]) {
      const io = captureIO(p.dir);
      assert.is(await runCli([...command, '--dry-run'], io), 0, `${command.join(' ')}: ${io.stderr}`);
    }
    const unversioned = captureIO(p.dir);
    assert.is(await runCli(['lock', 'acquire', '-m', 'maintenance', '--dry-run'], unversioned), 1);
    assert.match(unversioned.stderr, 'no git repository found');
    const versioned = captureIO(p.dir);
    assert.is(await runCli(['lock', 'acquire', '-m', 'maintenance', '--version', 'v7', '--dry-run'], versioned), 0, versioned.stderr);
    assert.match(versioned.stdout, 'mkdir .kamal/lock-my-app');
  } finally {
    p.cleanup();
  }
});

test.run();
