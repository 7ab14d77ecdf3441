// docs/first-deploy.md, run as written against the testbed, so the page cannot go stale:
//   ```sh blocks     run in order, each with bash -e, in one shell environment carried from block to
//                    block (its `export`s and `cd`s), in a fresh app repository, as a user whose
//                    HOME holds nothing but an SSH key and a git identity;
//   ```yaml blocks   whose first line is `# <path>` are written to that file;
//   ```text blocks   are sample output: each line must start a line of the previous command's output.
// The page's example values (server address, registry, user, token) are replaced by the testbed's.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inServer, type TestbedServer } from '../../testbed/index.ts';
import { repoRoot, testbedOrExit } from '../testbed/helpers.ts';

const tb = await testbedOrExit();
const server = tb.servers[0] as TestbedServer;
const page = readFileSync(join(repoRoot, 'docs/first-deploy.md'), 'utf8');

const EXAMPLES: Array<[string, string]> = [
  ['203.0.113.10', server.ip],
  ['ghcr.io', tb.registry.host],
  ['your-registry-token', tb.registry.password],
  ['your-user', tb.registry.username],
];
const substitute = (text: string) => EXAMPLES.reduce((out, [example, real]) => out.split(example).join(real), text);

interface Block {
  lang: string;
  text: string;
}
const blocks: Block[] = [...page.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

// A user's machine: the testbed's SSH key as ~/.ssh/id_ed25519 (found without any ssh settings),
// `sextant` on PATH, the deployer's docker, an app repository with one commit.
const work = mkdtempSync(join(tmpdir(), 'sextant-first-deploy-'));
const home = join(work, 'home');
const bin = join(work, 'bin');
const app = join(work, 'my-app');
mkdirSync(join(home, '.ssh'), { recursive: true });
copyFileSync(tb.sshKeyPath, join(home, '.ssh/id_ed25519'));
chmodSync(join(home, '.ssh/id_ed25519'), 0o600);
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = First Deployer\n\temail = first@example.com\n');
mkdirSync(bin);
writeFileSync(join(bin, 'sextant'), `#!/bin/sh\nexec '${process.execPath}' '${join(repoRoot, 'bin/sextant.js')}' "$@"\n`);
chmodSync(join(bin, 'sextant'), 0o755);
mkdirSync(app);
copyFileSync(join(repoRoot, 'examples/hello/Dockerfile'), join(app, 'Dockerfile'));
cpSync(join(repoRoot, 'examples/hello/app'), join(app, 'app'), { recursive: true });

let env: Record<string, string> = {
  PATH: `${bin}:${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  HOME: home,
  LANG: 'C.UTF-8',
  CI: 'true',
  DOCKER_HOST: tb.deployer.dockerHost,
};
let cwd = app;
const git = (...args: string[]) => {
  const result = spawnSync('git', args, { cwd: app, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
};
git('init', '-q');
git('add', '-A');
git('commit', '-q', '-m', 'My app');

interface Ran {
  command: string;
  stdout: string;
  stderr: string;
}

// Runs one ```sh block; the shell's environment and directory afterwards carry over to the next.
function runBlock(script: string): Ran {
  const envDump = join(work, 'env.dump');
  const pwdDump = join(work, 'pwd.dump');
  const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `${script}\nenv -0 > '${envDump}'\npwd > '${pwdDump}'`], { cwd, env, encoding: 'utf8' });
  assert.is(result.status, 0, `this block of docs/first-deploy.md failed (exit ${result.status}):\n${script}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  env = Object.fromEntries(
    readFileSync(envDump, 'utf8')
      .split('\0')
      .filter((entry) => entry.includes('=') && !/^(PWD|OLDPWD|SHLVL|_)=/.test(entry))
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
  cwd = readFileSync(pwdDump, 'utf8').trim();
  return { command: script, stdout: result.stdout, stderr: result.stderr };
}

function cleanUp(): void {
  const [cmd, ...args] = inServer(server);
  // What `app remove` may have left if a block failed before it: the proxy route, containers, files.
  spawnSync(cmd!, [...args, 'sh', '-c', 'docker exec kamal-proxy kamal-proxy remove my-app-web >/dev/null 2>&1; ids=$(docker ps -aq --filter label=service=my-app); [ -n "$ids" ] && docker rm -f $ids >/dev/null; rm -rf /root/.kamal/apps/my-app /root/.kamal/lock-my-app; true'], { encoding: 'utf8' });
  rmSync(work, { recursive: true, force: true });
}

test('the page has the steps of a first deploy, each in a block the test runs', () => {
  const commands = blocks.filter((b) => b.lang === 'sh').map((b) => b.text).join('\n');
  for (const step of ['sextant init', 'sextant config', 'sextant deploy --dry-run', 'sextant check', 'sextant setup', 'sextant deploy\n', 'sextant rollback']) {
    assert.ok(commands.includes(step), `the page runs ${JSON.stringify(step)}`);
  }
  assert.ok(blocks.some((b) => b.lang === 'yaml' && b.text.startsWith('# config/deploy.yml\n')), 'the page shows the whole config/deploy.yml');
  for (const b of blocks) assert.ok(['sh', 'yaml', 'text'].includes(b.lang), `a block the test knows what to do with: \`\`\`${b.lang}`);
});

test('every block of docs/first-deploy.md, in order, against a testbed server', () => {
  const ran: Ran[] = [];
  try {
    for (const block of blocks) {
      const text = substitute(block.text);
      if (block.lang === 'yaml') {
        const file = /^# (\S+)\n/.exec(text)?.[1];
        assert.ok(file, `a yaml block names its file on its first line:\n${block.text}`);
        writeFileSync(join(cwd, file!), text);
      } else if (block.lang === 'text') {
        const last = ran.at(-1)!;
        for (const sample of text.trim().split('\n')) {
          assert.ok(last.stdout.split('\n').some((line) => line.startsWith(sample)), `sample output line ${JSON.stringify(sample)} is what \`${last.command.trim()}\` printed:\n${last.stdout}`);
        }
      } else {
        const result = runBlock(text);
        ran.push(result);
        checkClaims(result);
      }
    }
  } finally {
    cleanUp();
  }
  for (const { stdout, stderr } of ran) assert.not.ok((stdout + stderr).includes(tb.registry.password), 'the registry password never appears in any output');
});

// What the page's prose says about a command's output.
function checkClaims({ command, stdout, stderr }: Ran): void {
  if (command.trim() === 'sextant config') {
    assert.match(stderr, "WARNING: registry/password: secret 'KAMAL_REGISTRY_PASSWORD' is not defined in .kamal/secrets");
    assert.match(stdout, 'password: "[MISSING]"');
  }
  if (command.trim() === 'sextant deploy --dry-run') {
    assert.match(stdout, /^\[local\] docker buildx build /m);
    assert.match(stdout, new RegExp(`^\\[${server.ip.replace(/\./g, '\\.')}\\] docker run --detach .* --name my-app-web-[0-9a-f]{40} `, 'm'));
    assert.match(stdout, `-p [REDACTED]`);
  }
  if (command.trim() === 'sextant check') assert.match(stdout, /^✔ all \d+ checks passed/m);
  if (command.includes('curl')) assert.match(stdout, /^ok/);
}

test.run();
