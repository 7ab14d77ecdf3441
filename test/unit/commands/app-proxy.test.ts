// The app in kamal-proxy: deploy options (KAMAL-FACTS §2.4), remove, maintenance and live.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deployToProxy, live, maintenance, removeFromProxy } from '../../../src/commands/app.ts';
import { deployCommandArgs, stopCommandArgs } from '../../../src/commands/proxy.ts';
import { renderWord, render } from '../../../src/commands/shell.ts';
import { fixture, roleOf } from '../../fixtures/commands/a/load.ts';

const deploy = (name: string, roleName = 'web', destination?: string, target = '172.1.0.2', version = '999') => {
  const config = fixture(name, destination);
  return render(deployToProxy({ config, role: roleOf(config, roleName), version, target }));
};
const DEFAULT_TAIL = '--deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"';

test('deploy', () => {
  assert.is(deploy('deploy'), `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" ${DEFAULT_TAIL}`);
});

test('deploy with SSL', () => {
  assert.is(deploy('ssl'), `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --tls ${DEFAULT_TAIL}`);
});

test('deploy with SSL targeting multiple hosts', () => {
  assert.is(deploy('ssl-hosts'),
    `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --host="example.com" --host="anotherexample.com" --tls ${DEFAULT_TAIL}`);
});

test('deploy with SSL false', () => {
  assert.is(deploy('ssl-false'), `docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" ${DEFAULT_TAIL}`);
});

test('deploy with a destination names the service <service>-<role>-<destination>', () => {
  assert.is(deploy('deploy', 'web', 'staging'), `docker exec kamal-proxy kamal-proxy deploy app-web-staging --target="172.1.0.2:80" ${DEFAULT_TAIL}`);
});

test('recorded deploys: host, app_port, health checks', () => {
  assert.is(deploy('shop', 'web', undefined, '0123456789ab', 'abc1234'),
    'docker exec kamal-proxy kamal-proxy deploy shop-web --target="0123456789ab:3000" --host="shop.example.com" --deploy-timeout="30s" --drain-timeout="30s" --health-check-interval="2s" --health-check-timeout="4s" --health-check-path="/health" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"');
  assert.is(deploy('hey', 'web', undefined, '0123456789ab', 'abc1234'),
    'docker exec kamal-proxy kamal-proxy deploy hey-web --target="0123456789ab:8080" --deploy-timeout="30s" --drain-timeout="30s" --health-check-path="/up" --buffer-requests --buffer-responses --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"');
});

test('deploy with every option and error pages (KAMAL-FACTS §2.4 example)', () => {
  assert.is(deploy('full-proxy', 'web', 'staging', '<cid>'),
    'docker exec kamal-proxy kamal-proxy deploy app-web-staging --target="<cid>:3000" --host="staging.example.com" --tls --deploy-timeout="40s" --drain-timeout="30s" --health-check-interval="2s" --health-check-timeout="3s" --health-check-path="/healthz" --target-timeout="20s" --buffer-requests="false" --buffer-responses --max-response-body="1000" --forward-headers --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent" --log-response-header="X-Request-ID" --error-pages="/home/kamal-proxy/.apps-config/app-staging/error_pages/999"');
});

test('a role proxy hash is deep-merged over the root proxy', () => {
  assert.is(deploy('full-proxy', 'api', undefined, 'cid', 'v2'),
    'docker exec kamal-proxy kamal-proxy deploy app-api --target="cid:4000" --host="api.example.com" --tls --deploy-timeout="40s" --drain-timeout="30s" --health-check-interval="2s" --health-check-timeout="3s" --health-check-path="/ping" --target-timeout="20s" --buffer-requests="false" --buffer-responses --max-response-body="1000" --forward-headers --log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent" --log-response-header="X-Request-ID" --error-pages="/home/kamal-proxy/.apps-config/app/error_pages/v2"');
});

test('false options are sent as "false"; an empty header list sends none', () => {
  assert.is(deploy('proxy-misc'),
    'docker exec kamal-proxy kamal-proxy deploy app-web --target="172.1.0.2:80" --deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses="false" --buffer-memory="5000" --max-request-body="10000" --forward-headers="false" --tls-redirect="false"');
});

test('a role without the proxy cannot be deployed to it', () => {
  const config = fixture();
  assert.throws(() => deployToProxy({ config, role: roleOf(config, 'workers'), version: '1', target: 'x' }), /does not run the proxy/);
});

test('deploy args on their own, for accessory proxies', () => {
  const config = fixture('ssl');
  const words = deployCommandArgs({ config, proxy: config.proxy, target: 'app-db', version: '1' }).map((word) => renderWord(word));
  assert.equal(words.slice(0, 3), ['--target="app-db:80"', '--host="example.com"', '--tls']);
});

test('remove', () => {
  assert.is(render(removeFromProxy(roleOf(fixture(), 'web'))), 'docker exec kamal-proxy kamal-proxy remove app-web');
});

test('live', () => {
  assert.is(render(live(roleOf(fixture(), 'web'))), 'docker exec kamal-proxy kamal-proxy resume app-web');
  assert.is(render(live(roleOf(fixture('deploy', 'staging'), 'web'))), 'docker exec kamal-proxy kamal-proxy resume app-web-staging');
});

test('maintenance, with and without options', () => {
  const web = roleOf(fixture(), 'web');
  assert.is(render(maintenance(web)), 'docker exec kamal-proxy kamal-proxy stop app-web');
  assert.is(render(maintenance(web, { drainTimeout: 10, message: 'Hi' })), 'docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="10s" --message="Hi"');
  assert.is(render(maintenance(web, { drainTimeout: 30 })), 'docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="30s"');
  assert.is(render(maintenance(web, { drainTimeout: 5, message: 'Back soon' })), 'docker exec kamal-proxy kamal-proxy stop app-web --drain-timeout="5s" --message="Back soon"');
  assert.equal(stopCommandArgs({ message: 'Down $(now) "x"' }).map((word) => renderWord(word)), ['--message="Down \\$(now) \\"x\\""']);
});

test.run();
