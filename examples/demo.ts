// `npm run demo`: on a fresh Debian 12 machine (as root, after `npm ci`), install what the testbed
// needs, bring up three local test servers with a registry and kamal-proxy, deploy the example app
// v1 then v2 with Sextant's live view, and show the app answering through kamal-proxy.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { ensureTestbed } from '../test/testbed/index.ts';

const repo = new URL('..', import.meta.url).pathname;
const app = new URL('hello/', import.meta.url).pathname;

function step(title: string): void {
  console.log(`\n\x1b[1m▶ ${title}\x1b[0m`);
}

function run(command: string, args: string[], cwd = repo): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(' ')} failed (exit ${result.status})`);
    process.exit(1);
  }
}

function get(host: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get({ host, port: 80, path, timeout: 3000, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
      })
      .on('error', (e) => resolve(`error: ${e.message}`));
  });
}

step('Installing Docker, sshd, the registry, kamal-proxy v0.9.0 and buildx (skipped when present)');
run('bash', ['test/testbed/install.sh']);

step('Starting the testbed: 3 servers (own sshd + dockerd each), a TLS registry, kamal-proxy image');
const testbed = await ensureTestbed({ servers: 3 });
for (const server of testbed.servers) console.log(`  ${server.name}  ${server.ip}`);

for (const version of ['v1', 'v2']) {
  step(`sextant deploy --version ${version}   (in examples/hello)`);
  run(process.execPath, [`${repo}bin/sextant.js`, 'deploy', '--version', version], app);
  let wrong = 0;
  for (const server of testbed.servers) {
    const answer = await get(server.ip, '/');
    console.log(`  http://${server.ip}/  →  ${answer}`);
    if (answer !== `200 ${version}`) wrong++;
  }
  if (wrong > 0) {
    console.error(`\n${wrong} server(s) did not answer "200 ${version}" after the deploy`);
    process.exit(1);
  }
}

step('Done. Try it yourself:');
console.log(`  cd examples/hello && npx sextant app details      # what runs where
  npx sextant rollback v1                            # back to v1, no downtime
  npm run testbed -- down                            # remove the test servers`);
