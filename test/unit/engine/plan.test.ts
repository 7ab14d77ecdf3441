// Boot groups in the deploy plan: Kamal 2.6.0's order, except where that order could never finish.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, selectHosts } from '../../../src/config/index.ts';
import { groupsThatOpenTheBarrier } from '../../../src/engine/plan.ts';
import { tempProject } from '../config/temp-project.ts';

function groups(servers: string, boot: string, select: { roles?: string[] } = {}) {
  const project = tempProject({
    'config/deploy.yml': `service: app\nimage: app\nregistry:\n  username: u\n  password: p\nbuilder:\n  arch: amd64\nservers:\n${servers}\nboot:\n${boot}\n`,
  });
  try {
    const config = loadConfig({ cwd: project.dir, env: {} });
    return groupsThatOpenTheBarrier(config, selectHosts(config, select));
  } finally {
    project.cleanup();
  }
}

const rolesBeforeWeb = '  api:\n    hosts: [10.0.0.1, 10.0.0.2]\n    proxy: false\n  web:\n    hosts: [10.0.0.3]';

test("Kamal's config order is kept when the first group has a primary-role host", () => {
  const servers = '  web:\n    hosts: [10.0.0.1]\n  workers:\n    hosts: [10.0.0.2, 10.0.0.3]';
  assert.equal(groups(servers, '  limit: 1'), [['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3']]);
});

test('roles that sort before the primary role: its hosts boot first instead of waiting for ever', () => {
  // Kamal 2.6.0 would boot [10.0.0.1] first: api there waits for a web container nobody starts.
  assert.equal(groups(rolesBeforeWeb, '  limit: 1'), [['10.0.0.3'], ['10.0.0.1'], ['10.0.0.2']]);
  assert.equal(groups(rolesBeforeWeb, '  limit: 2'), [['10.0.0.3', '10.0.0.1'], ['10.0.0.2']]);
});

test('one group, or a selection without the primary role, is left as it is', () => {
  assert.equal(groups(rolesBeforeWeb, '  limit: 3'), [['10.0.0.1', '10.0.0.2', '10.0.0.3']]);
  // With --roles api, api is the selection's primary role and its hosts come first anyway.
  assert.equal(groups(rolesBeforeWeb, '  limit: 1', { roles: ['api'] }), [['10.0.0.1'], ['10.0.0.2']]);
});

test.run();
