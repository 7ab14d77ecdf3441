import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { proxyList, proxyTargetOf } from '../../../src/commands/proxy.ts';
import { render } from '../../../src/commands/shell.ts';

// kamal-proxy v0.9.0 prints its table in colour even without a terminal.
const listing = [
  '\x1b[3;94mService\x1b[0m     \x1b[3;94mHost\x1b[0m         \x1b[3;94mPath\x1b[0m  \x1b[3;94mTarget\x1b[0m           \x1b[3;94mState\x1b[0m    \x1b[3;94mTLS\x1b[0m  ',
  '\x1b[1;34mhello-web\x1b[0m   \x1b[m*\x1b[0m            \x1b[m/\x1b[0m     \x1b[m829a8f48248e:80\x1b[0m  \x1b[mrunning\x1b[0m  \x1b[mno\x1b[0m',
  '\x1b[1;34mitest-web\x1b[0m   \x1b[mitest.test\x1b[0m   \x1b[m/\x1b[0m     \x1b[m7ea92f86d346:3000\x1b[0m  \x1b[mrunning\x1b[0m  \x1b[mno\x1b[0m',
].join('\n');

test('the target of a service is read from the listing, colours or not', () => {
  assert.is(proxyTargetOf(listing, 'itest-web'), '7ea92f86d346:3000');
  assert.is(proxyTargetOf(listing, 'hello-web'), '829a8f48248e:80');
  assert.is(proxyTargetOf(listing, 'itest'), undefined, 'whole service names only');
  assert.is(proxyTargetOf('', 'itest-web'), undefined);
});

test('the list command', () => {
  assert.is(render(proxyList()), 'docker exec kamal-proxy kamal-proxy list');
});

test.run();
