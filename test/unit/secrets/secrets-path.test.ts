// `secrets_path` (Kamal 2.7): the secrets files are `<path>-common`, then `<path>` or `<path>.<destination>`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProject } from '../../../src/cli/project.ts';
import { captureIO } from '../../../src/cli/io.ts';
import { loadSecrets } from '../../../src/secrets/index.ts';
import { tempProject } from '../config/temp-project.ts';

const FILES = {
  'vault/secrets-common': 'A=common\nB=common\n',
  'vault/secrets': 'B=plain\n',
  'vault/secrets.prod': 'B=prod\n',
  '.kamal/secrets': 'B=default-place\n',
};

test('loadSecrets reads <path>-common then <path> (or <path>.<destination>)', async () => {
  const p = tempProject(FILES);
  try {
    const plain = await loadSecrets({ cwd: p.dir, env: {}, secretsPath: 'vault/secrets' });
    assert.equal(plain.files, ['vault/secrets-common', 'vault/secrets']);
    assert.equal(plain.toRecord(), { A: 'common', B: 'plain' });
    const prod = await loadSecrets({ cwd: p.dir, env: {}, secretsPath: 'vault/secrets', destination: 'prod' });
    assert.equal(prod.toRecord(), { A: 'common', B: 'prod' });
    const fallback = await loadSecrets({ cwd: p.dir, env: {} });
    assert.equal(fallback.toRecord(), { B: 'default-place' });
    const missing = await loadSecrets({ cwd: p.dir, env: {}, secretsPath: 'elsewhere/secrets' });
    assert.throws(() => missing.get('A'), /no secret files \(elsewhere\/secrets-common, elsewhere\/secrets\) provided/);
  } finally {
    p.cleanup();
  }
});

test('a project with secrets_path in deploy.yml reads its secrets there', async () => {
  const p = tempProject({
    ...FILES,
    'config/deploy.yml': 'service: app\nimage: a/app\nservers: [1.1.1.1]\nregistry: { username: u, password: [B] }\nbuilder: { arch: amd64 }\nsecrets_path: vault/secrets\n',
  });
  try {
    const project = loadProject({} as never, captureIO(p.dir, {}));
    const secrets = await project.secrets();
    assert.is(secrets.get('B'), 'plain');
  } finally {
    p.cleanup();
  }
});

test('secrets print reads where secrets_path says', async () => {
  const { runCli } = await import('../../../src/cli/run.ts');
  const p = tempProject({
    ...FILES,
    'config/deploy.yml': 'service: app\nimage: a/app\nservers: [1.1.1.1]\nregistry: { username: u, password: [B] }\nbuilder: { arch: amd64 }\nsecrets_path: vault/secrets\n',
  });
  try {
    const io = captureIO(p.dir, {});
    assert.is(await runCli(['secrets', 'print'], io), 0, io.stderr);
    assert.match(io.stdout, 'B=plain');
    assert.match(io.stdout, 'A=common');
  } finally {
    p.cleanup();
  }
});

test.run();
