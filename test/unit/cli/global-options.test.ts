// Kamal's global options through the CLI (KAMAL-FACTS.md section 0): `-h`/`-r` comma lists with
// `*` globs, `-p`, `-q`/`-v` for the plain renderer, and `-H`. Host filters are checked on dry-run
// plans; -q/-v and -H on a real `build push` that only runs locally, against a fake `docker` on PATH.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { markedProject } from './marked-project.ts';
import { leakedSecrets } from '../secrets/canary.ts';

// Roles sort alphabetically (jobs, web, workers), so Kamal's all_hosts is
// [2.2.2.2, 1.1.1.1, 1.1.1.2, 2.2.2.1, 1.1.1.3, 3.3.3.3]; 3.3.3.3 runs only an accessory.
const CONFIG = `service: app
image: dhh/app
servers:
  web: [1.1.1.1, 1.1.1.2, 2.2.2.1]
  workers: { hosts: [1.1.1.3], cmd: bin/jobs }
  jobs: { hosts: [2.2.2.2], cmd: bin/other }
registry: { username: dhh, password: [KAMAL_REGISTRY_PASSWORD] }
builder: { arch: amd64 }
accessories:
  redis: { image: "redis:7", host: 3.3.3.3 }
`;
const APP_HOSTS = ['1.1.1.1', '1.1.1.2', '1.1.1.3', '2.2.2.1', '2.2.2.2'];
const HOOKS = ['pre-connect', 'pre-build', 'pre-deploy', 'post-deploy', 'pre-app-boot', 'post-app-boot'];

// Stands in for docker: prints a line on stdout and one on stderr per call, and succeeds.
const FAKE_DOCKER = `#!/bin/sh
case "$1" in info) echo amd64; exit 0;; esac
echo "fake-docker-out: $*"
echo "fake-docker-err: $1" >&2
exit 0
`;

function project() {
  return markedProject({
    files: { 'config/deploy.yml': CONFIG, '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=CANARY-pw-d41c\n' },
    hooks: HOOKS,
    docker: FAKE_DOCKER,
    version: '999',
  });
}

async function run(argv: string[]) {
  const p = project();
  try {
    const io = captureIO(p.dir, p.env);
    const code = await runCli(argv, io);
    const commands = io.stdout.split('\n').filter((line) => line.startsWith('['));
    const hosts = [...new Set(commands.map((line) => line.slice(1, line.indexOf(']'))))].filter((h) => h !== 'local').sort();
    const marked = HOOKS.filter((hook) => p.marked(hook));
    return { code, stdout: io.stdout, stderr: io.stderr, commands, hosts, marked };
  } finally {
    p.cleanup();
  }
}

async function plan(argv: string[]) {
  const result = await run([...argv, '--dry-run']);
  assert.is(result.code, 0, `sextant ${argv.join(' ')} --dry-run\n${result.stderr}`);
  assert.equal(result.marked, [], 'a dry run runs no hook');
  return result;
}

const lockHost = (commands: string[]) => {
  const lock = commands.find((line) => line.includes('/usr/bin/env mkdir .kamal/lock-app && echo'));
  return lock?.slice(1, lock.indexOf(']'));
};

test('-h and -r with comma lists and globs pick the hosts of `app containers`', async () => {
  const cases: Array<[string[], string[]]> = [
    [[], APP_HOSTS],
    [['-h', '1.1.1.*'], ['1.1.1.1', '1.1.1.2', '1.1.1.3']],
    [['-h', '1.1.1.1,2.2.*'], ['1.1.1.1', '2.2.2.1', '2.2.2.2']],
    [['--hosts', '1.1.1.*,3.3.3.3'], ['1.1.1.1', '1.1.1.2', '1.1.1.3']],
    [['-r', 'w*'], ['1.1.1.1', '1.1.1.2', '1.1.1.3', '2.2.2.1']],
    [['-r', 'jobs,wo*'], ['1.1.1.3', '2.2.2.2']],
    [['--roles', 'web', '-h', '*.*.*.2'], ['1.1.1.2']],
  ];
  for (const [options, hosts] of cases) {
    const result = await plan(['app', 'containers', ...options]);
    assert.equal(result.hosts, hosts, `app containers ${options.join(' ')}:\n${result.stdout}`);
    for (const line of result.commands.filter((c) => !c.startsWith('[local]'))) {
      assert.match(line, /\] docker container ls --all --filter label=service=app --filter label=destination=$/);
    }
  }
});

test('-h and -r with globs change the hosts and the lock host of a deploy plan', async () => {
  const all = await plan(['deploy']);
  assert.equal(all.hosts, [...APP_HOSTS, '3.3.3.3'].sort());
  assert.is(lockHost(all.commands), '1.1.1.1');

  const hosts = await plan(['deploy', '-h', '1.1.1.*']);
  assert.equal(hosts.hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3']);
  assert.ok(hosts.commands.some((c) => c.startsWith('[1.1.1.3] docker run --detach --restart unless-stopped --name app-workers-999 ')));
  assert.not.ok(hosts.commands.some((c) => c.includes('app-jobs-999')), 'no jobs container outside the filter');

  const roles = await plan(['deploy', '-r', 'w*']);
  assert.equal(roles.hosts, ['1.1.1.1', '1.1.1.2', '1.1.1.3', '2.2.2.1']);
  assert.not.ok(roles.commands.some((c) => c.includes('app-jobs-999')));

  // Section 0: with --hosts the primary (lock) host is the first filtered host, in filter order.
  const reordered = await plan(['deploy', '-h', '2.2.*,1.1.1.1']);
  assert.equal(reordered.hosts, ['1.1.1.1', '2.2.2.1', '2.2.2.2']);
  assert.is(lockHost(reordered.commands), '2.2.2.2');

  // With --roles, the first host of the first selected role when the primary role is not selected;
  // a role without the proxy gets no kamal-proxy at all.
  const workers = await plan(['deploy', '-r', 'wo*']);
  assert.equal(workers.hosts, ['1.1.1.3']);
  assert.is(lockHost(workers.commands), '1.1.1.3');
  assert.not.ok(workers.commands.some((c) => c.includes('kamal-proxy')), workers.stdout);
});

test('-h or -r matching nothing is an error before anything runs', async () => {
  const hosts = await run(['app', 'containers', '-h', '9.9.*', '--dry-run']);
  assert.is(hosts.code, 1);
  assert.match(hosts.stderr, 'No --hosts match for 9.9.*');
  assert.equal(hosts.commands, []);
  const roles = await run(['deploy', '-r', 'db*,x', '--dry-run']);
  assert.is(roles.code, 1);
  assert.match(roles.stderr, 'No --roles match for db*,x');
  assert.equal(roles.commands, []);
});

test('-p limits a command to the primary host (of the selected roles, with -r)', async () => {
  const containers = await plan(['app', 'containers', '-p']);
  assert.equal(containers.hosts, ['1.1.1.1']);
  const deploy = await plan(['deploy', '--primary']);
  assert.equal(deploy.hosts, ['1.1.1.1']);
  assert.is(lockHost(deploy.commands), '1.1.1.1');
  const workers = await plan(['app', 'containers', '-r', 'workers', '-p']);
  assert.equal(workers.hosts, ['1.1.1.3']);
});

// The plain renderer (non-TTY, `--format text`, not a dry run): -q drops the `[host] $ command`
// lines and stage headings, -v adds each command's output.
test('-q prints less and -v more than the default plain output (build push, local only)', async () => {
  const normal = await run(['build', 'push']);
  const quiet = await run(['build', 'push', '-q']);
  const verbose = await run(['build', 'push', '-v']);
  for (const [name, result] of Object.entries({ normal, quiet, verbose })) {
    assert.is(result.code, 0, `${name}: ${result.stderr}`);
    assert.equal(result.hosts, [], `${name}: build push connects to no server`);
    assert.equal(result.marked, ['pre-build'], `${name}: runs the pre-build hook (only)`);
    assert.not.match(result.stdout, 'CANARY', `${name}: no secret in the output`);
    assert.equal(leakedSecrets(result.stdout + result.stderr, ['CANARY-pw-d41c']), [], `${name}: no secret in the output, base64 included`);
  }
  assert.ok(normal.stdout.includes('[local] $ docker --version && docker buildx version\n'), normal.stdout);
  assert.ok(normal.stdout.includes('[local] $ /usr/bin/env .kamal/hooks/pre-build\n'), normal.stdout);
  assert.not.match(normal.stdout, 'fake-docker-out', 'command output is not shown by default');

  assert.not.match(quiet.stdout, '[local] $', 'quiet: no command lines');
  assert.ok(quiet.stdout.length < normal.stdout.length, `quiet (${quiet.stdout.length}) < default (${normal.stdout.length})`);

  assert.ok(verbose.stdout.length > normal.stdout.length, `verbose (${verbose.stdout.length}) > default (${normal.stdout.length})`);
  for (const line of normal.stdout.split('\n').filter(Boolean)) assert.ok(verbose.stdout.includes(`${line}\n`), `verbose keeps "${line}"`);
  assert.ok(verbose.stdout.includes('[local] fake-docker-out: --version\n'), verbose.stdout);
  assert.ok(verbose.stdout.includes('[local] fake-docker-err: --version\n'), 'stderr output is shown too');
  // Output of several lines in one chunk (the build's `2>&1` merges both streams): every line
  // keeps its host prefix, so parallel hosts stay apart.
  for (const line of verbose.stdout.split('\n').filter(Boolean)) assert.ok(line.startsWith('[local] '), `unprefixed verbose line "${line}" in:\n${verbose.stdout}`);
});

test('--format json: every line is a JSON event whatever -q/-v say', async () => {
  for (const flag of [[], ['-q'], ['-v']]) {
    const result = await run(['build', 'push', '--format', 'json', ...flag]);
    assert.is(result.code, 0, result.stderr);
    const events = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type?: string });
    assert.ok(events.length > 0, `events with ${flag.join(' ') || 'no flag'}`);
  }
});

test('-H skips hooks: a real local command leaves no hook mark, and dry-run plans have no hook lines', async () => {
  const control = await run(['build', 'push']);
  assert.is(control.code, 0, control.stderr);
  assert.equal(control.marked, ['pre-build'], 'control: the hook runs without -H');

  for (const flag of ['-H', '--skip-hooks', '--skip_hooks']) {
    const skipped = await run(['build', 'push', flag]);
    assert.is(skipped.code, 0, `${flag}: ${skipped.stderr}`);
    assert.equal(skipped.marked, [], `${flag}: no hook ran`);
    assert.not.match(skipped.stdout, '.kamal/hooks/', `${flag}: no hook line`);
    assert.ok(skipped.stdout.includes('[local] $ docker buildx build '), `${flag}: the build still ran`);
  }

  const hookLines = (commands: string[]) => commands.filter((c) => c.startsWith('[local] /usr/bin/env .kamal/hooks/'));
  const withHooks = await plan(['deploy']);
  assert.equal(hookLines(withHooks.commands).map((c) => c.slice('[local] /usr/bin/env .kamal/hooks/'.length)), [
    'pre-build',
    'pre-connect',
    'pre-deploy',
    'pre-app-boot',
    'post-app-boot',
    'post-deploy',
  ]);
  const withoutHooks = await plan(['deploy', '-H']);
  assert.equal(hookLines(withoutHooks.commands), []);
  // Everything else is the same plan.
  // (Timestamps, the lock's base64 of them and the random container hostnames aside.)
  const strip = (commands: string[]) =>
    commands
      .filter((c) => !c.includes('.kamal/hooks/'))
      .map((c) =>
        c
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'T')
          .replace(/(mkdir \.kamal\/lock-app && echo ").*/, '$1…')
          .replace(/(--hostname \S+-)[0-9a-f]{12}/, '$1X'),
      );
  assert.equal(strip(withoutHooks.commands), strip(withHooks.commands));
});

test.run();
