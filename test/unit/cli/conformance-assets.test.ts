// Dry-run plans for the "assets" area against Kamal 2.6.0: app maintenance/live, error pages,
// asset bridging, percentage boot limits and the timeouts of roles without the proxy. Expected lines
// were traced by hand through Kamal's cli/app.rb, cli/app/{boot,assets,error_pages}.rb,
// commands/app/{assets,error_pages,proxy}.rb and configuration/{role,boot,proxy}.rb.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { captureIO } from '../../../src/cli/io.ts';
import { runCli } from '../../../src/cli/run.ts';
import { cleanUpAssets } from '../../../src/commands/app-assets.ts';
import { cleanUpErrorPages } from '../../../src/commands/error-pages.ts';
import { render } from '../../../src/commands/shell.ts';
import type { Config, RoleConfig } from '../../../src/config/types.ts';
import { tempProject } from '../config/temp-project.ts';

// Two proxy hosts (web, with asset_path from the root), two worker hosts and a redis host: five
// hosts in all, so "40%" means groups of 2 (Kamal counts accessory hosts), not 1.
const CONFIG = `service: gallery
image: acme/gallery
servers:
  web:
    hosts: [10.0.7.11, 10.0.7.12]
  workers:
    hosts: [10.0.7.13, 10.0.7.14]
    cmd: bin/jobs
registry:
  server: registry.example.com
  username: gallerybot
  password: [KAMAL_REGISTRY_PASSWORD]
env:
  secret: [RAILS_MASTER_KEY]
asset_path: /rails/public/assets
error_pages_path: public/errors
proxy:
  app_port: 3000
boot:
  limit: "40%"
  wait: 0
readiness_delay: 0
deploy_timeout: 45
drain_timeout: 12
builder:
  arch: amd64
accessories:
  redis:
    image: redis:7.2
    host: 10.0.7.20
`;

async function dryRun(argv: string[], options: { hooks?: string[] } = {}): Promise<string[]> {
  const p = tempProject({
    'config/deploy.yml': CONFIG,
    '.kamal/secrets': 'KAMAL_REGISTRY_PASSWORD=pw-77a1\nRAILS_MASTER_KEY=mk-19c4\n',
    'public/errors/404.html': '<h1>Not found</h1>\n',
    'public/errors/503.html': '<h1>{{ .Message }}</h1>\n',
    // Neither matches 4??.html / 5??.html.
    'public/errors/notes.html': 'notes\n',
    'public/errors/5000.html': 'too long\n',
  });
  try {
    mkdirSync(join(p.dir, '.kamal/hooks'), { recursive: true });
    for (const hook of options.hooks ?? []) {
      writeFileSync(join(p.dir, '.kamal/hooks', hook), '#!/bin/sh\nexit 0\n');
      chmodSync(join(p.dir, '.kamal/hooks', hook), 0o755);
    }
    const io = captureIO(p.dir, { PATH: process.env.PATH, VERSION: 'abc1234' });
    assert.is(await runCli([...argv, '--dry-run'], io), 0, `sextant ${argv.join(' ')} --dry-run\n${io.stderr}`);
    return io.stdout.split('\n').filter((line) => line.startsWith('['));
  } finally {
    p.cleanup();
  }
}

const on = (lines: string[], host: string) => lines.filter((l) => l.startsWith(`[${host}] `)).map((l) => l.slice(host.length + 3));
const notLock = (l: string) => !/lock-gallery|^\/usr\/bin\/env mkdir -p \.kamal$|^[A-Za-z0-9+/=]+$|^" >/.test(l);

// cli/app.rb maintenance: `options[:drain_timeout] || KAMAL.config.drain_timeout`, written by
// configuration/proxy.rb stop_options as "#{value}s". Thor parses a numeric option with a decimal
// point as a Float, so 2.5 stays 2.5 and 1.0 prints as Ruby's "1.0".
test('app maintenance --drain_timeout keeps a decimal value as Kamal prints it', async () => {
  for (const [given, sent] of [['2.5', '2.5s'], ['1.0', '1.0s'], ['.5', '0.5s'], ['5', '5s'], ['007', '7s']] as const) {
    const lines = (await dryRun(['app', 'maintenance', '--drain_timeout', given])).filter((l) => l.includes('kamal-proxy stop'));
    assert.equal(lines, [
      `[10.0.7.11] docker exec kamal-proxy kamal-proxy stop gallery-web --drain-timeout="${sent}"`,
      `[10.0.7.12] docker exec kamal-proxy kamal-proxy stop gallery-web --drain-timeout="${sent}"`,
    ], given);
  }
});

test('app maintenance / live run only on proxy hosts, for proxy roles, under the lock', async () => {
  const maintenance = await dryRun(['app', 'maintenance', '--message', 'Closed for "upgrades"']);
  assert.equal(on(maintenance, '10.0.7.11').filter(notLock), ['docker exec kamal-proxy kamal-proxy stop gallery-web --drain-timeout="12s" --message="Closed for \\"upgrades\\""']);
  assert.equal(on(maintenance, '10.0.7.13'), ['/usr/bin/env mkdir -p .kamal']);
  assert.equal(on(maintenance, '10.0.7.20'), ['/usr/bin/env mkdir -p .kamal']);
  const live = await dryRun(['app', 'live']);
  assert.equal(on(live, '10.0.7.12'), ['/usr/bin/env mkdir -p .kamal', 'docker exec kamal-proxy kamal-proxy resume gallery-web']);
});

test('deploy: error pages on every app host, assets for the proxy role, then the boot', async () => {
  const lines = await dryRun(['deploy', '--skip-push']);
  const web = on(lines, '10.0.7.11');
  const upload = 'upload abc1234/ -> .kamal/proxy/apps-config/gallery/error_pages (mode 0700, 2 files)';
  const extract =
    '/usr/bin/env mkdir -p .kamal/apps/gallery/assets/extracted/web-abc1234 && docker container rm gallery-web-assets 2> /dev/null || true && docker container create --name gallery-web-assets registry.example.com/acme/gallery:abc1234 && docker container cp -L gallery-web-assets:/rails/public/assets/. .kamal/apps/gallery/assets/extracted/web-abc1234 && docker container rm gallery-web-assets';
  const sync = '/usr/bin/env mkdir -p .kamal/apps/gallery/assets/volumes/web-abc1234 ; cp -rnT .kamal/apps/gallery/assets/extracted/web-abc1234 .kamal/apps/gallery/assets/volumes/web-abc1234';
  const start = web.indexOf('/usr/bin/env mkdir -p .kamal/proxy/apps-config/gallery/error_pages');
  assert.ok(start > 0, web.join('\n'));
  assert.equal(web.slice(start, start + 5).map((l) => l.replace(/ --filter .*$/, '')), [
    '/usr/bin/env mkdir -p .kamal/proxy/apps-config/gallery/error_pages',
    upload,
    extract,
    `/usr/bin/env sh -c 'docker ps --latest --format '\\''{{.Names}}'\\''`,
    sync,
  ]);
  assert.ok(
    web.some((l) => /^docker run .* --env-file \.kamal\/apps\/gallery\/env\/roles\/web\.env --log-opt max-size="10m" --volume \$\(pwd\)\/\.kamal\/apps\/gallery\/assets\/volumes\/web-abc1234:\/rails\/public\/assets --label service="gallery" --label role="web" --label destination registry\.example\.com\/acme\/gallery:abc1234$/.test(l)),
  );
  assert.ok(web.includes(
    'docker exec kamal-proxy kamal-proxy deploy gallery-web --target="0123456789ab:3000" --deploy-timeout="45s" --drain-timeout="12s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent" --error-pages="/home/kamal-proxy/.apps-config/gallery/error_pages/abc1234"',
  ));
  // Workers: the pages too (Kamal uploads them to every app host), no assets, no asset volume,
  // and readiness_delay 0 means one status probe.
  const workers = on(lines, '10.0.7.13');
  assert.ok(workers.includes(upload));
  assert.not.ok(workers.some((l) => l.includes('/assets')), workers.join('\n'));
  assert.is(workers.filter((l) => l.includes('xargs docker inspect --format')).length, 1);
  // Nothing app-side on the accessory host.
  assert.not.ok(on(lines, '10.0.7.20').some((l) => l.includes('error_pages') || l.startsWith('docker run')));
});

test('a percentage boot limit counts accessory hosts: 40% of 5 hosts boots 2 at a time', async () => {
  const lines = await dryRun(['deploy', '--skip-push'], { hooks: ['pre-app-boot', 'post-app-boot'] });
  assert.is(lines.filter((l) => l === '[local] /usr/bin/env .kamal/hooks/pre-app-boot').length, 2);
  const firstWorker = lines.findIndex((l) => l.startsWith('[10.0.7.13] docker container ls --all --filter name=^gallery-workers-abc1234$'));
  const lastWebDeploy = lines.map((l) => l.includes('kamal-proxy deploy gallery-web')).lastIndexOf(true);
  const secondGroupHook = lines.lastIndexOf('[local] /usr/bin/env .kamal/hooks/pre-app-boot');
  assert.ok(lastWebDeploy < secondGroupHook && secondGroupHook < firstWorker, lines.join('\n'));
  // --roles narrows the hosts but not the count: 2 worker hosts, limit still 2, one group.
  const workers = await dryRun(['app', 'boot', '--roles=workers'], { hooks: ['pre-app-boot'] });
  assert.is(workers.filter((l) => l === '[local] /usr/bin/env .kamal/hooks/pre-app-boot').length, 1);
});

test('rollback boots the old version with its own error pages and assets', async () => {
  const web = on(await dryRun(['rollback', 'abc1230']), '10.0.7.12');
  assert.ok(web.includes('upload abc1230/ -> .kamal/proxy/apps-config/gallery/error_pages (mode 0700, 2 files)'));
  assert.ok(web.some((l) => l.includes('docker container create --name gallery-web-assets registry.example.com/acme/gallery:abc1230 && docker container cp -L gallery-web-assets:/rails/public/assets/. .kamal/apps/gallery/assets/extracted/web-abc1230')));
  assert.ok(web.some((l) => /^docker rename gallery-web-abc1230 gallery-web-abc1230_replaced_[0-9a-f]{16}$/.test(l)));
  assert.ok(web.some((l) => l.endsWith('--error-pages="/home/kamal-proxy/.apps-config/gallery/error_pages/abc1230"')));
});

// configuration/role.rb stop_args: `-t <drain_timeout>` only for roles without the proxy.
test('app stop: docker stop -t drain_timeout for roles without the proxy only', async () => {
  const lines = await dryRun(['app', 'stop']);
  assert.ok(on(lines, '10.0.7.14').some((l) => l.endsWith(' | head -1 | xargs docker stop -t 12')));
  assert.ok(on(lines, '10.0.7.11').some((l) => l.endsWith(' | head -1 | xargs docker stop')));
});

// Only reachable when an old version is running; the lines of Kamal's test/cli/app_test.rb.
test('clean-up after the old version stops: assets and error pages of other versions', () => {
  const config = { runDirectory: '.kamal', service: 'app', serviceAndDestination: 'app' } as unknown as Config;
  const role = { name: 'web', containerPrefix: 'app-web', assetPath: '/public/assets', assets: true } as unknown as RoleConfig;
  assert.is(
    render(cleanUpAssets(config, role, 'latest')),
    `/usr/bin/env find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-latest -exec rm -rf "{}" + ; find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' ! -name web-latest -exec rm -rf "{}" +`,
  );
  assert.is(render(cleanUpErrorPages(config, 'latest')), '/usr/bin/env find .kamal/proxy/apps-config/app/error_pages -mindepth 1 -maxdepth 1 ! -name latest -exec rm -rf {} +');
});

test.run();
