// Asset bridging and error pages: Kamal's assets tests and the KAMAL-FACTS §2.2 lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assetExtractedDirectory,
  assetVolumeArgs,
  assetVolumeDirectory,
  cleanUpAssets,
  extractAssets,
  syncAssetVolumes,
} from '../../../src/commands/app-assets.ts';
import {
  cleanUpErrorPages,
  createErrorPagesDirectory,
  errorPagesContainerDirectory,
  errorPagesDirectory,
  errorPagesVersionDirectory,
  isErrorPageFile,
} from '../../../src/commands/error-pages.ts';
import { render, renderWord } from '../../../src/commands/shell.ts';
import { fixture, roleOf } from '../../fixtures/commands/a/load.ts';

const assets = fixture('assets');
const web = roleOf(assets, 'web');

test('extract assets', () => {
  assert.is(render(extractAssets(assets, web, '999')),
    '/usr/bin/env mkdir -p .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets 2> /dev/null || true && docker container create --name app-web-assets dhh/app:999 && docker container cp -L app-web-assets:/public/assets/. .kamal/apps/app/assets/extracted/web-999 && docker container rm app-web-assets');
});

test('sync asset volumes, without and with an old version', () => {
  assert.is(render(syncAssetVolumes(assets, web, '999')),
    '/usr/bin/env mkdir -p .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-999');
  assert.is(render(syncAssetVolumes(assets, web, '999', '')), render(syncAssetVolumes(assets, web, '999')));
  assert.is(render(syncAssetVolumes(assets, web, '999', '998')),
    '/usr/bin/env mkdir -p .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-999 ; cp -rnT .kamal/apps/app/assets/extracted/web-999 .kamal/apps/app/assets/volumes/web-998 || true ; cp -rnT .kamal/apps/app/assets/extracted/web-998 .kamal/apps/app/assets/volumes/web-999 || true');
});

test('clean up assets', () => {
  assert.is(render(cleanUpAssets(assets, web, '999')),
    `/usr/bin/env find .kamal/apps/app/assets/extracted -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" + ; find .kamal/apps/app/assets/volumes -maxdepth 1 -name 'web-*' ! -name web-999 -exec rm -rf "{}" +`);
});

test('asset directories and volume follow the destination', () => {
  const staging = fixture('deploy', 'staging');
  const stagingWeb = roleOf(staging, 'web');
  assert.is(assetExtractedDirectory(staging, stagingWeb, '1'), '.kamal/apps/app-staging/assets/extracted/web-1');
  assert.is(assetVolumeDirectory(staging, stagingWeb, '1'), '.kamal/apps/app-staging/assets/volumes/web-1');
  assert.equal(assetVolumeArgs(staging, stagingWeb, '1'), [], 'no asset_path, no volume');
  assert.equal(assetVolumeArgs(assets, web, '7').map((word) => renderWord(word)),
    ['--volume', '$(pwd)/.kamal/apps/app/assets/volumes/web-7:/public/assets']);
  assert.equal(assetVolumeArgs(assets, roleOf(assets, 'workers'), '7'), [], 'workers do not run the proxy');
});

test('error pages: directories, create, clean up', () => {
  const config = fixture('full-proxy', 'staging');
  assert.is(errorPagesDirectory(config), '.kamal/proxy/apps-config/app-staging/error_pages');
  assert.is(errorPagesVersionDirectory(config, '999'), '.kamal/proxy/apps-config/app-staging/error_pages/999');
  assert.is(errorPagesContainerDirectory(config, '999'), '/home/kamal-proxy/.apps-config/app-staging/error_pages/999');
  assert.is(render(createErrorPagesDirectory(fixture('full-proxy'))), '/usr/bin/env mkdir -p .kamal/proxy/apps-config/app/error_pages');
  assert.is(render(cleanUpErrorPages(fixture('full-proxy'), '999')),
    '/usr/bin/env find .kamal/proxy/apps-config/app/error_pages -mindepth 1 -maxdepth 1 ! -name 999 -exec rm -rf {} +');
});

test('error page file names: 4??.html and 5??.html', () => {
  for (const name of ['404.html', '500.html', '503.html', '4xx.html', '5ab.html']) assert.ok(isErrorPageFile(name), name);
  for (const name of ['200.html', '404.htm', '4044.html', '40.html', 'x404.html', '404.html.bak', '404.HTML']) assert.not.ok(isErrorPageFile(name), name);
});

test.run();
