// Names, addresses and paths of the testbed. One testbed per machine: everything lives under fixed
// paths so that `status` and `down` work from any process and any clone of the repository.
import { join } from 'node:path';

export const STATE_DIR = '/var/lib/sextant-testbed';
export const CACHE_DIR = process.env['SEXTANT_TESTBED_CACHE'] ?? '/var/cache/sextant-testbed';

/** 10.213.0.0/24: the bridge is .1, the deployer .2, servers .11, .12, … */
export const SUBNET_PREFIX = '10.213.0';
export const SUBNET = `${SUBNET_PREFIX}.0/24`;
export const BRIDGE = 'sxtb0';
export const BRIDGE_IP = `${SUBNET_PREFIX}.1`;
export const DEPLOYER_IP = `${SUBNET_PREFIX}.2`;
export const REGISTRY_PORT = 5443;
export const REGISTRY_HOST = `${BRIDGE_IP}:${REGISTRY_PORT}`;
export const REGISTRY_USER = 'sextant';
export const MAX_SERVERS = 200;

/** Every cgroup the testbed makes sits below this one, in every hierarchy. */
export const CGROUP_ROOT = 'sextant-testbed';
/** Tag of the iptables rule the testbed adds in the root namespace, and of its fault rules. */
export const RULE_COMMENT = 'sextant-testbed';

export const PROXY_IMAGE = 'basecamp/kamal-proxy:v0.9.0';
export const CUSTOM_PROXY_IMAGE = `${REGISTRY_HOST}/sextant/kamal-proxy:v0.9.0`;
export const BASE_IMAGE = 'sextant-testbed/busybox:latest';
export const REGISTRY_BASE_IMAGE = `${REGISTRY_HOST}/sextant/busybox:latest`;

/** Inside every server, a per-server host directory for fault switches that apps may mount. */
export const FAULTS_DIR_IN_SERVER = '/srv/faults';
/** The file whose presence makes the example app's /up answer 500. */
export const UNHEALTHY_FILE = 'unhealthy';
/** Port of the userspace delay proxy inside a server (SSH latency fault). */
export const DELAY_PROXY_PORT = 10022;

export type NodeKind = 'server' | 'deployer' | 'template';

export interface NodeSpec {
  name: string;
  ip: string;
  kind: NodeKind;
}

export function serverName(index: number): string {
  return `srv${index}`;
}

export function serverSpec(index: number): NodeSpec {
  if (!Number.isInteger(index) || index < 1 || index > MAX_SERVERS) {
    throw new Error(`server index must be an integer from 1 to ${MAX_SERVERS}, got ${index}`);
  }
  return { name: serverName(index), ip: `${SUBNET_PREFIX}.${10 + index}`, kind: 'server' };
}

export const DEPLOYER: NodeSpec = { name: 'deployer', ip: DEPLOYER_IP, kind: 'deployer' };
/** A short-lived node that prepares the docker data root every new server starts from. */
export const TEMPLATE: NodeSpec = { name: 'template', ip: `${SUBNET_PREFIX}.3`, kind: 'template' };

/** Parses "srv7" back to 7; undefined for any other name. */
export function serverIndex(name: string): number | undefined {
  const m = /^srv(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export const paths = {
  state: join(STATE_DIR, 'state.json'),
  lock: join(STATE_DIR, 'lock'),
  nsDir: join(STATE_DIR, 'ns'),
  sshDir: join(STATE_DIR, 'ssh'),
  sshKey: join(STATE_DIR, 'ssh', 'id_ed25519'),
  caDir: join(STATE_DIR, 'ca'),
  caCert: join(STATE_DIR, 'ca', 'ca.crt'),
  caKey: join(STATE_DIR, 'ca', 'ca.key'),
  registryCert: join(STATE_DIR, 'ca', 'registry.crt'),
  registryKey: join(STATE_DIR, 'ca', 'registry.key'),
  registryDir: join(STATE_DIR, 'registry'),
  registryData: join(STATE_DIR, 'registry', 'data'),
  registryConfig: join(STATE_DIR, 'registry', 'config.yml'),
  registryHtpasswd: join(STATE_DIR, 'registry', 'htpasswd'),
  registryPassword: join(STATE_DIR, 'registry', 'password'),
  registryLog: join(STATE_DIR, 'registry', 'registry.log'),
  /** DOCKER_CONFIG the testbed itself uses to push its images (keeps ~/.docker untouched). */
  dockerConfig: join(STATE_DIR, 'docker-config'),
  nodesDir: join(STATE_DIR, 'nodes'),
  deployerData: join(STATE_DIR, 'deployer-data'),
  cacheBin: join(CACHE_DIR, 'bin'),
  kamalProxyBinary: join(CACHE_DIR, 'bin', 'kamal-proxy'),
  imageCache: join(CACHE_DIR, 'images'),
  /** The root namespace's default docker socket; up points it at the deployer daemon if it is free. */
  rootDockerSocket: '/run/docker.sock',
};

export function nodeDir(name: string): string {
  return join(paths.nodesDir, name);
}

export function nodePaths(name: string) {
  const dir = nodeDir(name);
  return {
    dir,
    run: join(dir, 'run'),
    root: join(dir, 'root'),
    etcDocker: join(dir, 'etc-docker'),
    // The deployer's images and build cache outlive `down` (like a developer's own docker).
    dockerData: name === DEPLOYER.name ? paths.deployerData : join(dir, 'docker'),
    srv: join(dir, 'srv'),
    faults: join(dir, 'srv', 'faults'),
    tmp: join(dir, 'tmp'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolvConf: join(dir, 'resolv.conf'),
    sshdConfig: join(dir, 'sshd_config'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    sshdLog: join(dir, 'sshd.log'),
    dockerdLog: join(dir, 'dockerd.log'),
    delayProxyLog: join(dir, 'delay-proxy.log'),
    dockerSocket: join(dir, 'run', 'docker.sock'),
    dockerPidFile: join(dir, 'run', 'docker.pid'),
    sshdPidFile: join(dir, 'run', 'sshd.pid'),
    delayProxyPidFile: join(dir, 'run', 'sextant-delay-proxy.pid'),
    netns: join(paths.nsDir, `${name}.net`),
    mntns: join(paths.nsDir, `${name}.mnt`),
    utsns: join(paths.nsDir, `${name}.uts`),
    veth: `sxtb-${name}`.slice(0, 15),
    cgroup: `${CGROUP_ROOT}/${name}`,
    // The node's daemons sit in a leaf below it and dockerd's containers beside them: cgroup v2
    // allows controllers for children only in a cgroup that holds no process itself.
    daemonCgroup: `${CGROUP_ROOT}/${name}/daemons`,
  };
}

export type NodePaths = ReturnType<typeof nodePaths>;

/** A fixed MAC per address, so a re-created server answers ARP with the MAC peers already cached. */
export function macFor(ip: string): string {
  const last = Number(ip.split('.')[3]);
  return `02:53:58:00:00:${last.toString(16).padStart(2, '0')}`;
}
