// Malformed deploy configurations and the error each must produce. Plain data (built by the small
// helpers below) so the same table can drive the loader unit test and the CLI.

export interface MalformedCase {
  name: string;
  /** Relative path → file content; always includes config/deploy.yml unless the case is about it missing. */
  files: Record<string, string>;
  destination?: string;
  env?: Record<string, string>;
  expect: { file: string; path: string; message: RegExp | string };
}

const SECTIONS: Record<string, string> = {
  service: 'service: app',
  image: 'image: dhh/app',
  servers: 'servers:\n  - 1.1.1.1',
  registry: 'registry:\n  username: dhh\n  password:\n    - KAMAL_REGISTRY_PASSWORD',
  builder: 'builder:\n  arch: amd64',
};

/** A valid minimal config with `replace` sections swapped (null drops a section) and `extra` appended. */
function deployYml(extra = '', replace: Record<string, string | null> = {}): string {
  const sections = Object.entries(SECTIONS)
    .map(([key, text]) => (key in replace ? replace[key] : text))
    .filter((text): text is string => text !== null && text !== undefined);
  return `${[...sections, extra].filter((text) => text !== '').join('\n')}\n`;
}

const MAIN = 'config/deploy.yml';
const STAGING = 'config/deploy.staging.yml';

function kase(name: string, yml: string, path: string, message: RegExp | string, more: Partial<MalformedCase> = {}): MalformedCase {
  const { files, expect, ...rest } = more;
  return { name, files: { [MAIN]: yml, ...(files ?? {}) }, ...rest, expect: { file: expect?.file ?? MAIN, path, message } };
}

const twoRoles = (web: string, workers: string) => `servers:\n  web:\n${web}\n  workers:\n${workers}`;

export const malformedCases: MalformedCase[] = [
  // --- root keys and types
  kase('unknown root key', deployYml('foo: 1'), '', 'unknown key: foo'),
  kase('two unknown root keys', deployYml('foo: 1\nbar: 2'), '', 'unknown keys: foo, bar'),
  kase('missing image', deployYml('', { image: null }), '', 'Missing required configuration for image'),
  kase('missing service', deployYml('', { service: null }), '', 'Missing required configuration for service'),
  kase('empty service', deployYml('', { service: 'service: ""' }), 'service', 'Missing required configuration for service'),
  kase('service with a space', deployYml('', { service: 'service: my app' }), 'service', 'Service name can only include alphanumeric characters, hyphens, and underscores'),
  kase('service as a hash', deployYml('', { service: 'service:\n  name: app' }), 'service', 'should be a string'),
  kase('deploy_timeout not an integer', deployYml('deploy_timeout: soon'), 'deploy_timeout', 'should be an integer'),
  kase('drain_timeout as a float', deployYml('drain_timeout: 1.5'), 'drain_timeout', 'should be an integer'),
  kase('readiness_delay as a list', deployYml('readiness_delay: [1]'), 'readiness_delay', 'should be an integer'),
  kase('require_destination as text', deployYml('require_destination: please'), 'require_destination', 'should be a boolean'),
  kase('allow_empty_roles as a number', deployYml('allow_empty_roles: 1'), 'allow_empty_roles', 'should be a boolean'),
  kase('volumes as a string', deployYml('volumes: /data:/data'), 'volumes', 'should be an array'),
  kase('volume entry as a hash', deployYml('volumes:\n  - a: b'), 'volumes/0', 'should be a string'),
  kase('label value as a hash', deployYml('labels:\n  a:\n    b: c'), 'labels/a', 'should be a string'),
  kase('labels as a list', deployYml('labels: [a]'), 'labels', 'should be a hash'),
  kase('sshkit max_concurrent_starts zero', deployYml('sshkit:\n  max_concurrent_starts: 0'), 'sshkit/max_concurrent_starts', 'should be at least 1'),
  kase('retain_containers zero', deployYml('retain_containers: 0'), 'retain_containers', 'Must retain at least 1 container'),
  kase('minimum_version too new', deployYml('minimum_version: 9.9.9'), 'minimum_version', 'Current version is 2.6.0, minimum required is 9.9.9'),
  kase('minimum_version malformed', deployYml('minimum_version: not-a-version'), 'minimum_version', 'Malformed version number string not-a-version'),
  kase('nested x- key', deployYml('proxy:\n  x-extra: 1'), 'proxy', 'unknown key: x-extra'),

  // --- servers and roles
  kase('no servers and no accessories', deployYml('', { servers: null }), 'servers', 'No servers or accessories specified'),
  kase('servers as a string', deployYml('', { servers: 'servers: 1.1.1.1' }), 'servers', 'should be an array or a hash'),
  kase('servers null', deployYml('', { servers: 'servers:' }), 'servers', 'should be an array or a hash'),
  kase('empty servers list', deployYml('', { servers: 'servers: []' }), 'servers', 'No servers specified for the web primary_role'),
  kase('empty servers hash', deployYml('', { servers: 'servers: {}' }), 'servers', "The primary_role web isn't defined"),
  kase('primary_role not defined', deployYml('primary_role: api'), 'primary_role', "The primary_role api isn't defined"),
  kase(
    'empty non-primary role',
    deployYml('', { servers: twoRoles('    - 1.1.1.1', '    hosts: []') }),
    'servers/workers',
    'No servers specified for the workers role. You can ignore this with allow_empty_roles: true',
  ),
  kase('host entry as a list', deployYml('', { servers: 'servers:\n  web:\n    hosts:\n      - 1.1.1.1\n      - 1.1.1.2\n      - [1.1.1.3]' }), 'servers/web/hosts/2', 'should be a string or a hash'),
  kase('host entry with two hosts', deployYml('', { servers: 'servers:\n  - 1.1.1.1: a\n    1.1.1.2: b' }), 'servers/0', 'multiple hosts found'),
  kase('host tags as a hash', deployYml('', { servers: 'servers:\n  - 1.1.1.1:\n      a: b' }), 'servers/0/1.1.1.1', 'should be a string or an array'),
  kase('host tag list with a hash', deployYml('', { servers: 'servers:\n  - 1.1.1.1: [a, {b: c}]' }), 'servers/0/1.1.1.1/1', 'should be a string'),
  kase('role as a string', deployYml('', { servers: 'servers:\n  web: 1.1.1.1' }), 'servers/web', 'should be an array or a hash'),
  kase('unknown role key', deployYml('', { servers: 'servers:\n  web:\n    host: 1.1.1.1' }), 'servers/web', 'unknown key: host'),
  kase('role restart option', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    options:\n      restart: always' }), 'servers/web', 'Cannot set restart policy in docker options, unless-stopped is required'),
  kase('role options as a list', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    options: [memory]' }), 'servers/web/options', 'should be a hash'),
  kase('role cmd as a list', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    cmd: [bin/web]' }), 'servers/web/cmd', 'should be a string'),
  kase('role env with tags', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    env:\n      tags:\n        t: {A: b}' }), 'servers/web/env', 'tags are only allowed in the root env'),
  kase('role proxy as a string', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy: yes please' }), 'servers/web/proxy', 'should be a hash'),
  kase('role proxy null', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy:' }), 'servers/web/proxy', 'should be a hash'),
  kase('role proxy ssl without host', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy:\n      ssl: true' }), 'servers/web/proxy', 'Must set a host to enable automatic SSL'),
  kase('role logging unknown key', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    logging:\n      level: debug' }), 'servers/web/logging', 'unknown key: level'),
  kase('role labels as a list', deployYml('', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1]\n    labels: [a]' }), 'servers/web/labels', 'should be a hash'),

  // --- root proxy
  kase('boolean root proxy true', deployYml('proxy: true'), 'proxy', 'should be a hash'),
  kase('boolean root proxy false', deployYml('proxy: false'), 'proxy', 'should be a hash'),
  kase('null root proxy', deployYml('proxy:'), 'proxy', 'should be a hash'),
  kase('proxy healthcheck unknown key', deployYml('proxy:\n  healthcheck:\n    cmd: curl'), 'proxy/healthcheck', 'unknown key: cmd'),
  kase('proxy app_port as text', deployYml('proxy:\n  app_port: http'), 'proxy/app_port', 'should be an integer'),
  kase('proxy ssl as text', deployYml('proxy:\n  ssl: sometimes'), 'proxy/ssl', 'should be a boolean'),
  kase('proxy ssl without host', deployYml('proxy:\n  ssl: true'), 'proxy', 'Must set a host to enable automatic SSL'),
  kase('proxy host and hosts', deployYml('proxy:\n  host: a.example.com\n  hosts: [b.example.com]'), 'proxy', "Specify one of 'host' or 'hosts', not both"),
  kase('proxy hosts as a string list item hash', deployYml('proxy:\n  hosts:\n    - {a: b}'), 'proxy/hosts/0', 'should be a string'),
  kase('proxy buffering memory as text', deployYml('proxy:\n  buffering:\n    memory: lots'), 'proxy/buffering/memory', 'should be an integer'),
  kase('proxy logging headers as a string', deployYml('proxy:\n  logging:\n    request_headers: Cache-Control'), 'proxy/logging/request_headers', 'should be an array'),
  // The error names the `ssl` key that switched SSL on: the role's own, else the root proxy's.
  kase('ssl with two servers', deployYml('proxy:\n  ssl: true\n  host: app.example.com', { servers: 'servers:\n  - 1.1.1.1\n  - 1.1.1.2' }), 'proxy/ssl', 'SSL is only supported on a single server, found 2 servers for role web'),
  kase(
    'role ssl with two servers',
    deployYml('', { servers: twoRoles('    - 1.1.1.1', '    hosts: [1.1.1.2, 1.1.1.3]\n    proxy:\n      ssl: true\n      host: jobs.example.com') }),
    'servers/workers/proxy/ssl',
    'SSL is only supported on a single server, found 2 servers for role workers',
  ),
  kase(
    'root ssl on a role with two servers',
    deployYml('proxy:\n  ssl: true\n  host: app.example.com', { servers: 'servers:\n  web:\n    hosts: [1.1.1.1, 1.1.1.2]\n    proxy:\n      app_port: 3000' }),
    'proxy/ssl',
    'SSL is only supported on a single server, found 2 servers for role web',
  ),
  {
    name: 'ssl in the main file, second server in the destination file',
    files: { [MAIN]: deployYml('proxy:\n  ssl: true\n  host: app.example.com'), [STAGING]: 'servers:\n  - 2.2.2.1\n  - 2.2.2.2\n' },
    destination: 'staging',
    expect: { file: MAIN, path: 'proxy/ssl', message: 'SSL is only supported on a single server, found 2 servers for role web' },
  },
  kase(
    'two ssl roles sharing a host',
    deployYml('proxy:\n  ssl: true\n  host: app.example.com', {
      servers: twoRoles('    - 1.1.1.1', '    hosts: [1.1.1.2]\n    proxy: true'),
    }),
    'proxy',
    "Different roles can't share the same host for SSL: app.example.com",
  ),

  // --- registry
  kase('registry missing', deployYml('', { registry: null }), 'registry/username', 'is required'),
  kase('registry password missing', deployYml('', { registry: 'registry:\n  username: dhh' }), 'registry/password', 'is required'),
  kase('registry password with two secrets', deployYml('', { registry: 'registry:\n  username: dhh\n  password: [A, B]' }), 'registry/password', 'should be a string or an array with one string (for secret lookup)'),
  kase('registry username as a number', deployYml('', { registry: 'registry:\n  username: 1234\n  password: pw' }), 'registry/username', 'should be a string or an array with one string (for secret lookup)'),
  kase('registry unknown key', deployYml('', { registry: 'registry:\n  username: dhh\n  password: pw\n  token: x' }), 'registry', 'unknown key: token'),
  kase('registry as a string', deployYml('', { registry: 'registry: ghcr.io' }), 'registry', 'should be a hash'),

  // --- builder
  kase('builder missing', deployYml('', { builder: null }), 'builder', 'Builder arch not set'),
  kase('builder without arch', deployYml('', { builder: 'builder:\n  dockerfile: Dockerfile.prod' }), 'builder', 'Builder arch not set'),
  kase('builder arch as a hash', deployYml('', { builder: 'builder:\n  arch:\n    amd64: true' }), 'builder/arch', 'should be an array or a string'),
  kase('bad cache type', deployYml('', { builder: 'builder:\n  arch: amd64\n  cache:\n    type: s3' }), 'builder', 'Invalid cache type: s3'),
  kase('builder cache unknown key', deployYml('', { builder: 'builder:\n  arch: amd64\n  cache:\n    type: gha\n    mode: max' }), 'builder/cache', 'unknown key: mode'),
  kase('local builds disabled without remote', deployYml('', { builder: 'builder:\n  arch: amd64\n  local: false' }), 'builder', 'Cannot disable local builds, no remote is set'),
  kase('builder sbom as text', deployYml('', { builder: 'builder:\n  arch: amd64\n  sbom: spdx' }), 'builder/sbom', 'should be a boolean'),
  kase('builder secrets as a hash', deployYml('', { builder: 'builder:\n  arch: amd64\n  secrets:\n    A: b' }), 'builder/secrets', 'should be an array'),
  kase('builder unknown key', deployYml('', { builder: 'builder:\n  arch: amd64\n  platform: linux' }), 'builder', 'unknown key: platform'),

  // --- env
  kase('env clear value as a hash', deployYml('env:\n  clear:\n    A:\n      b: c'), 'env/clear/A', 'should be a string'),
  kase('env simple value as a list', deployYml('env:\n  A: [1]'), 'env/A', 'should be a string'),
  kase('env secret as a string', deployYml('env:\n  secret: A'), 'env/secret', 'should be an array'),
  kase('env unknown key beside clear', deployYml('env:\n  clear:\n    A: b\n  foo: bar'), 'env', 'unknown key: foo'),
  kase('env tag as a list', deployYml('env:\n  tags:\n    t1: [A]'), 'env/tags/t1', 'should be a hash'),
  kase('env tag secret entry as a hash', deployYml('env:\n  tags:\n    t1:\n      secret:\n        - {A: b}'), 'env/tags/t1/secret/0', 'should be a string'),
  kase('env nested tags', deployYml('env:\n  tags:\n    t1:\n      tags:\n        t2: {A: b}'), 'env/tags/t1', 'tags are only allowed in the root env'),

  // --- accessories
  kase('accessory with two host keys', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    hosts: [1.1.1.3]'), 'accessories/db', 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`'),
  kase('accessory without hosts', deployYml('accessories:\n  db:\n    image: mysql'), 'accessories/db', 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`'),
  kase('accessory unknown role', deployYml('accessories:\n  db:\n    image: mysql\n    role: api'), 'accessories/db', 'unknown role api'),
  kase('accessory unknown roles', deployYml('accessories:\n  db:\n    image: mysql\n    roles: [web, api, jobs]'), 'accessories/db', 'unknown roles api, jobs'),
  kase('accessory restart option', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    options:\n      restart: always'), 'accessories/db', 'Cannot set restart policy in docker options, unless-stopped is required'),
  kase('accessory unknown key', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    ports: ["3306:3306"]'), 'accessories/db', 'unknown key: ports'),
  kase('accessory port as a hash', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    port:\n      host: 3306'), 'accessories/db/port', 'should be a string'),
  kase('accessory proxy true', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    proxy: true'), 'accessories/db/proxy', 'should be a hash'),
  kase('accessory proxy ssl without host', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    proxy:\n      ssl: true'), 'accessories/db/proxy', 'Must set a host to enable automatic SSL'),
  kase('accessory registry without password', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    registry:\n      server: ghcr.io\n      username: me'), 'accessories/db/registry/password', 'is required'),
  kase('accessory env with tags', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    env:\n      tags:\n        t: {A: b}'), 'accessories/db/env', 'tags are only allowed in the root env'),
  kase('accessory file without remote path', deployYml('accessories:\n  db:\n    image: mysql\n    host: 1.1.1.2\n    files:\n      - config/my.cnf'), 'accessories/db/files/0', 'should be written local:remote'),
  kase('accessory as a list', deployYml('accessories:\n  db: [mysql]'), 'accessories/db', 'should be a hash'),
  kase('accessories as a list', deployYml('accessories: [db]'), 'accessories', 'should be a hash'),

  // --- aliases, boot, logging, ssh, sshkit
  kase('bad alias name', deployYml('aliases:\n  Bad: app logs'), 'aliases/Bad', "Invalid alias name: 'Bad'. Must only contain lowercase letters, alphanumeric, hyphens and underscores."),
  kase('alias shadowing a command', deployYml('aliases:\n  deploy: app logs'), 'aliases/deploy', "Alias 'deploy' conflicts with a built-in command."),
  kase('alias command as a hash', deployYml('aliases:\n  console:\n    cmd: app exec'), 'aliases/console', 'should be a string'),
  kase('boot limit text', deployYml('boot:\n  limit: half'), 'boot/limit', /whole number of hosts.*percentage/),
  kase('boot limit zero', deployYml('boot:\n  limit: 0'), 'boot/limit', /whole number of hosts/),
  kase('boot limit as a list', deployYml('boot:\n  limit: [2]'), 'boot/limit', 'should be a string'),
  kase('boot wait as text', deployYml('boot:\n  wait: long'), 'boot/wait', 'should be an integer'),
  kase('boot unknown key', deployYml('boot:\n  parallel: 2'), 'boot', 'unknown key: parallel'),
  kase('logging driver as a hash', deployYml('logging:\n  driver:\n    name: syslog'), 'logging/driver', 'should be a string'),
  kase('logging unknown key', deployYml('logging:\n  opts:\n    max-size: 1m'), 'logging', 'unknown key: opts'),
  kase('ssh unknown key', deployYml('ssh:\n  password: secret'), 'ssh', 'unknown key: password'),
  kase('ssh config as a path', deployYml('ssh:\n  config: ~/.ssh/config'), 'ssh/config', 'should be a boolean'),
  kase('ssh port as text', deployYml('ssh:\n  port: ssh'), 'ssh/port', /port number/),
  kase('ssh keys as a string', deployYml('ssh:\n  keys: ~/.ssh/id_ed25519'), 'ssh/keys', 'should be an array'),
  kase('sshkit max_concurrent_starts as text', deployYml('sshkit:\n  max_concurrent_starts: many'), 'sshkit/max_concurrent_starts', 'should be an integer'),

  // --- x-sextant
  kase('x-sextant unknown key', deployYml('x-sextant:\n  retries: 3'), 'x-sextant', 'unknown key: retries'),
  kase('x-sextant attempts zero', deployYml('x-sextant:\n  retry:\n    attempts: 0'), 'x-sextant/retry/attempts', 'should be at least 1'),
  kase('x-sextant max_delay below base_delay', deployYml('x-sextant:\n  retry:\n    base_delay: 5\n    max_delay: 2'), 'x-sextant/retry/max_delay', 'should be at least base_delay'),

  // --- files, destinations, hooks
  kase('destination required but absent', deployYml('require_destination: true'), 'require_destination', 'You must specify a destination'),
  {
    name: 'destination file missing',
    files: { [MAIN]: deployYml() },
    destination: 'staging',
    expect: { file: STAGING, path: '', message: `Configuration file not found in ${STAGING}` },
  },
  {
    name: 'main file missing',
    files: { 'config/other.yml': deployYml() },
    expect: { file: MAIN, path: '', message: `Configuration file not found in ${MAIN}` },
  },
  {
    name: 'error in the destination file',
    files: { [MAIN]: deployYml(), [STAGING]: 'proxy: true\n' },
    destination: 'staging',
    expect: { file: STAGING, path: 'proxy', message: 'should be a hash' },
  },
  {
    name: 'unknown key in the destination file',
    files: { [MAIN]: deployYml(), [STAGING]: 'servers:\n  - 2.2.2.2\nbogus: 1\n' },
    destination: 'staging',
    expect: { file: STAGING, path: '', message: 'unknown key: bogus' },
  },
  kase('traefik hook present', deployYml(), 'hooks_path', 'Found pre-traefik-reboot, these should be renamed to (pre|post)-proxy-reboot', {
    files: { '.kamal/hooks/pre-traefik-reboot': '#!/bin/sh\n' },
  }),
  kase('traefik hook in custom hooks_path', deployYml('hooks_path: bin/hooks'), 'hooks_path', 'Found post-traefik-reboot, these should be renamed to (pre|post)-proxy-reboot', {
    files: { 'bin/hooks/post-traefik-reboot': '#!/bin/sh\n' },
  }),

  // --- YAML and ERB
  kase('malformed YAML', 'service: app\nimage: dhh/app\nservers: [1.1.1.1\nregistry: {}\n', '', /line \d+: invalid YAML/),
  kase('bad indentation', 'service: app\n  image: dhh/app\n', '', /line 1: invalid YAML: Nested mappings/),
  kase('empty file', '', '', 'should be a hash'),
  kase('top level list', '- service: app\n', '', 'should be a hash'),
  kase('ERB with a backtick command', `${deployYml()}proxy:\n  host: <%= \`hostname\` %>\n`, '', /line 12: unsupported ERB .*only ENV\[\.\.\.\] \/ ENV\.fetch\(\.\.\.\) are supported/),
  kase('ERB control flow', `<% if true %>\n${deployYml()}<% end %>\n`, '', /line 1: unsupported ERB <% if true %>/),
  kase('ERB ENV with a fallback operator', `${deployYml()}labels:\n  a: <%= ENV["A"] || "b" %>\n`, '', /line 12: unsupported ERB/),
  kase('ERB ENV.fetch of a missing variable', `${deployYml()}labels:\n  a: <%= ENV.fetch("SEXTANT_TEST_MISSING") %>\n`, '', /line 12: ENV\.fetch\("SEXTANT_TEST_MISSING"\) failed/),
  kase('ERB unterminated tag', `${deployYml()}labels:\n  a: <%= ENV["A"]\n`, '', /line 12: unterminated ERB tag/),
  {
    name: 'ERB error in the destination file',
    files: { [MAIN]: deployYml(), [STAGING]: 'labels:\n  a: <%= File.read("x") %>\n' },
    destination: 'staging',
    expect: { file: STAGING, path: '', message: /line 2: unsupported ERB/ },
  },
  kase('YAML error reported at the source line after ERB', `x-note: |\n  <%= ENV["MULTI"] %>\n${deployYml()}servers: [\n`, '', /line 1[34]: invalid YAML/, {
    env: { MULTI: 'a\n  b\n  c' },
  }),
];
