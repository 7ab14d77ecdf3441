import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecrets, type Secrets } from '../../../src/secrets/index.ts';
import { rejectsWithUserError } from './assert-error.ts';
import { fakeCli, type FakeResponse } from './fake-cli.ts';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-secrets-'));
  mkdirSync(join(dir, '.kamal'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, '.kamal', name), content);
  return dir;
}

async function withProject<T>(files: Record<string, string>, body: (cwd: string) => Promise<T>): Promise<T> {
  const cwd = project(files);
  try {
    return await body(cwd);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

const ENV = { PATH: '/usr/bin:/bin' };

test('reads .kamal/secrets', async () => {
  await withProject({ secrets: 'SECRET=ABC' }, async (cwd) => {
    const secrets = await loadSecrets({ cwd, env: ENV });
    assert.is(secrets.get('SECRET'), 'ABC');
    assert.equal(secrets.files, ['.kamal/secrets']);
    assert.equal(secrets.names(), ['SECRET']);
    assert.ok(secrets.has('SECRET'));
    assert.not.ok(secrets.has('OTHER'));
  });
});

test('destinations: secrets-common first, then secrets or secrets.<dest> (never both)', async () => {
  await withProject({ 'secrets.dest': 'SECRET=DEF', secrets: 'SECRET=ABC', 'secrets-common': 'SECRET=GHI\nSECRET2=JKL' }, async (cwd) => {
    const plain = await loadSecrets({ cwd, env: ENV });
    const dest = await loadSecrets({ cwd, destination: 'dest', env: ENV });
    const nodest = await loadSecrets({ cwd, destination: 'nodest', env: ENV });
    assert.is(plain.get('SECRET'), 'ABC');
    assert.is(dest.get('SECRET'), 'DEF');
    assert.is(nodest.get('SECRET'), 'GHI');
    for (const secrets of [plain, dest, nodest]) assert.is(secrets.get('SECRET2'), 'JKL');
    assert.equal(plain.files, ['.kamal/secrets-common', '.kamal/secrets']);
    assert.equal(dest.files, ['.kamal/secrets-common', '.kamal/secrets.dest']);
    assert.equal(nodest.files, ['.kamal/secrets-common']);
    assert.equal(dest.toRecord(), { SECRET: 'DEF', SECRET2: 'JKL' });
  });
});

test('each file is parsed on its own: $VAR in secrets does not see secrets-common keys', async () => {
  await withProject({ 'secrets-common': 'BASE=common', secrets: 'A=[$BASE]' }, async (cwd) => {
    assert.is((await loadSecrets({ cwd, env: ENV })).get('A'), '[]');
    assert.is((await loadSecrets({ cwd, env: { ...ENV, BASE: 'env' } })).get('A'), '[env]');
  });
});

test("missing secret: Kamal's two messages", async () => {
  await withProject({ 'secrets-common': 'A=1', secrets: 'B=2' }, async (cwd) => {
    const secrets = await loadSecrets({ cwd, env: ENV });
    await rejectsWithUserError(async () => secrets.get('SECRET'), "Secret 'SECRET' not found in .kamal/secrets-common, .kamal/secrets");
  });
  await withProject({}, async (cwd) => {
    await rejectsWithUserError(
      async () => (await loadSecrets({ cwd, env: ENV })).get('SECRET'),
      "Secret 'SECRET' not found, no secret files (.kamal/secrets-common, .kamal/secrets) provided",
    );
    await rejectsWithUserError(
      async () => (await loadSecrets({ cwd, destination: 'dest', env: ENV })).get('SECRET'),
      "Secret 'SECRET' not found, no secret files (.kamal/secrets-common, .kamal/secrets.dest) provided",
    );
  });
});

test('env references and file-over-env', async () => {
  await withProject({ secrets: 'SECRET1=$SECRET1\nSECRET2=DEF\nSECRET3=${SECRET2}${SECRET1}' }, async (cwd) => {
    const secrets = await loadSecrets({ cwd, env: { ...ENV, SECRET1: 'ABC', SECRET2: 'env' } });
    assert.equal(secrets.toRecord(), { SECRET1: 'ABC', SECRET2: 'DEF', SECRET3: 'DEFABC' });
  });
});

test('$(cmd) runs in /bin/sh in cwd with the given env; one trailing newline removed', async () => {
  const source = [
    'SECRET=$(echo ABC)',
    'WHERE=$(pwd)',
    // double quotes keep `\n` for printf; unquoted, dotenv turns `\n` into `n` before the shell sees it
    `FROM_ENV="$(printf '%s\\n\\n' "$ONLY_IN_ENV")"`,
    `UNQUOTED=$(printf '%s\\n\\n' "$ONLY_IN_ENV")`,
    'PIPE=$(echo abc | tr a-z A-Z)',
  ].join('\n');
  await withProject({ secrets: source }, async (cwd) => {
    const secrets = await loadSecrets({ cwd, env: { ...ENV, ONLY_IN_ENV: 'env-value' } });
    assert.is(secrets.get('SECRET'), 'ABC');
    assert.is(secrets.get('WHERE'), cwd);
    assert.is(secrets.get('FROM_ENV'), 'env-value\n');
    assert.is(secrets.get('UNQUOTED'), 'env-valuenn');
    assert.is(secrets.get('PIPE'), 'ABC');
  });
});

test('a failing $(cmd) names the file and line and the first stderr line, not the values', async () => {
  const source = 'TOKEN=hunter2-token\n# fetch the db password\nDB=$(echo "$TOKEN" >/dev/null; echo "denied for user" >&2; exit 3)\n';
  await withProject({ 'secrets.production': source }, async (cwd) => {
    const error = await rejectsWithUserError(
      () => loadSecrets({ cwd, destination: 'production', env: ENV }),
      '`.kamal/secrets.production` line 3: command `echo "$TOKEN" >/dev/null; echo "denied for user" >&2; exit 3` failed (exit 3): denied for user',
    );
    assert.not.match(error.message, 'hunter2');
  });
  await withProject({ secrets: 'A=1\nB=$(no-such-command-xyz)' }, async (cwd) => {
    await rejectsWithUserError(() => loadSecrets({ cwd, env: ENV }), /^`\.kamal\/secrets` line 2: command `no-such-command-xyz` failed \(exit 127\): .*not found/);
  });
});

test('stderr that echoes a known secret is redacted in the error', async () => {
  await withProject({ 'secrets-common': 'PW=topsecretpw', secrets: 'X=$(echo "bad password topsecretpw" >&2; exit 1)' }, async (cwd) => {
    const error = await rejectsWithUserError(
      () => loadSecrets({ cwd, env: ENV }),
      '`.kamal/secrets` line 1: command `echo "bad password [REDACTED]" >&2; exit 1` failed (exit 1): bad password [REDACTED]',
    );
    assert.not.match(error.message, 'topsecretpw');
  });
});

test('a value spelled out in the command of the same file is redacted in the command text too', async () => {
  await withProject({ secrets: 'PW=samefilepw\nX=$(echo "login samefilepw" >/dev/null; exit 2)' }, async (cwd) => {
    const error = await rejectsWithUserError(
      () => loadSecrets({ cwd, env: ENV }),
      '`.kamal/secrets` line 2: command `echo "login [REDACTED]" >/dev/null; exit 2` failed (exit 2)',
    );
    assert.not.match(error.message, 'samefilepw');
  });
});

test('stderr that echoes an earlier value of the same file is redacted too', async () => {
  await withProject({ secrets: 'PW=samefilepw\nX=$(echo "rejected samefilepw" >&2; exit 1)' }, async (cwd) => {
    await rejectsWithUserError(() => loadSecrets({ cwd, env: ENV }), /failed \(exit 1\): rejected \[REDACTED\]$/);
  });
});

test('inline kamal secrets fetch + extract in a secrets file (test adapter)', async () => {
  const source = [
    'SECRETS=$(kamal secrets fetch --adapter test --account myaccount --from Vault/Item DB_PASSWORD API_KEY)',
    'DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)',
    'API_KEY=$(sextant secrets extract API_KEY ${SECRETS})',
  ].join('\n');
  await withProject({ secrets: source }, async (cwd) => {
    const secrets = await loadSecrets({ cwd, env: ENV });
    assert.is(secrets.get('DB_PASSWORD'), 'DROWSSAP_BD/metI/tluaV');
    assert.is(secrets.get('API_KEY'), 'YEK_IPA/metI/tluaV');
    assert.is(secrets.get('SECRETS'), '\\{\\"Vault/Item/DB_PASSWORD\\":\\"DROWSSAP_BD/metI/tluaV\\",\\"Vault/Item/API_KEY\\":\\"YEK_IPA/metI/tluaV\\"\\}');
  });
});

test('inline fetch through a vault CLI (fake op on PATH), then extract', async () => {
  const item = [
    { label: 'DB_PASSWORD', value: 'db pass "quoted" $x', reference: 'op://Vault/Item/DB_PASSWORD' },
    { label: 'API_KEY', value: 'api-key', reference: 'op://Vault/Item/API_KEY' },
  ];
  const responses: FakeResponse[] = [
    { argv: ['op', '--version'], stdout: '2.30.0\n' },
    { argv: ['op', 'account', 'get', '--account', 'my.1password.com'], stdout: '' },
    {
      argv: ['op', 'item', 'get', 'Item', '--vault', 'Vault', '--fields', 'label=DB_PASSWORD,label=API_KEY', '--format', 'json', '--account', 'my.1password.com'],
      stdout: JSON.stringify(item),
    },
  ];
  const cli = fakeCli(['op'], responses);
  const source = [
    'SECRETS=$(kamal secrets fetch --adapter 1password --account my.1password.com --from Vault/Item DB_PASSWORD API_KEY)',
    'DB_PASSWORD=$(kamal secrets extract DB_PASSWORD $SECRETS)',
    'API_KEY=$(kamal secrets extract API_KEY $SECRETS)',
  ].join('\n');
  try {
    await withProject({ secrets: source }, async (cwd) => {
      const secrets = await loadSecrets({ cwd, env: { ...cli.env, PATH: `${cli.env['PATH']}:/usr/bin:/bin` } });
      assert.is(secrets.get('DB_PASSWORD'), 'db pass "quoted" $x');
      assert.is(secrets.get('API_KEY'), 'api-key');
      assert.equal(cli.argvs(), responses.map((r) => r.argv));
    });
  } finally {
    cli.cleanup();
  }
});

test('`bin/kamal secrets …` is not inline: it runs in the shell', async () => {
  await withProject({ secrets: 'X=$(bin/kamal secrets fetch -a test --account a y)' }, async (cwd) => {
    mkdirSync(join(cwd, 'bin'));
    writeFileSync(join(cwd, 'bin', 'kamal'), '#!/bin/sh\necho "shell:$*"\n', { mode: 0o755 });
    assert.is((await loadSecrets({ cwd, env: ENV })).get('X'), 'shell:secrets fetch -a test --account a y');
  });
});

test('redact hides every value, longest first, in one pass', async () => {
  await withProject({ secrets: 'LONG=abcdefgh\nSHORT=abcd\nRED=REDACT\nEMPTY=\nMULTI="line1\nline2"' }, async (cwd) => {
    const secrets: Secrets = await loadSecrets({ cwd, env: ENV });
    assert.is(
      secrets.redact('x abcdefgh y abcd z REDACT w line1\nline2 v'),
      'x [REDACTED] y [REDACTED] z [REDACTED] w [REDACTED] v',
    );
    assert.is(secrets.redact('nothing here'), 'nothing here');
  });
});

test('a UTF-8 BOM at the start of a file is ignored', async () => {
  await withProject({ secrets: '\uFEFFSECRET=ABC' }, async (cwd) => {
    assert.is((await loadSecrets({ cwd, env: ENV })).get('SECRET'), 'ABC');
  });
});

test('commands can be injected', async () => {
  await withProject({ secrets: 'A=x\nB=$(anything $A)' }, async (cwd) => {
    const seen: string[] = [];
    const secrets = await loadSecrets({
      cwd,
      env: ENV,
      runCommand: async (command) => {
        seen.push(command);
        return { exitCode: 0, stdout: 'injected\n', stderr: '' };
      },
    });
    assert.equal(seen, ['anything x']);
    assert.is(secrets.get('B'), 'injected');
  });
});

test.run();
