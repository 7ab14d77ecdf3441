// Images made from local files only (no Docker Hub): a busybox base image and the kamal-proxy
// v0.9.0 image, both `docker import`s of root filesystems assembled here. Saved once to the cache
// (so every later load gives the same image id), loaded into the deployer and every server, and
// pushed to the testbed registry.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BASE_IMAGE, CUSTOM_PROXY_IMAGE, nodePaths, paths, PROXY_IMAGE, REGISTRY_BASE_IMAGE, REGISTRY_HOST, REGISTRY_USER, TEMPLATE } from './layout.ts';
import { request as httpsRequest } from 'node:https';
import { output, run, succeeds, TestbedError } from './exec.ts';
import { registryPassword } from './credentials.ts';
import { createNode, destroyNode, stopDockerd } from './node.ts';

const BUSYBOX = '/bin/busybox';
const RECIPE_VERSION = '1';
/** uid/gid `useradd` gives the first user in ubuntu:noble (which already has `ubuntu` as 1000). */
const KAMAL_PROXY_UID = 1001;
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Recipe {
  name: string;
  tag: string;
  inputs: string[];
  changes: string[];
  assemble: (root: string) => Promise<void>;
}

export function dockerEnv(socket: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: paths.dockerConfig };
}

async function addBusybox(root: string): Promise<void> {
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  const applets = (await output([BUSYBOX, '--list-full'])).split('\n').filter(Boolean);
  for (const applet of applets) {
    const target = join(root, applet);
    if (existsSync(target) || applet === 'bin/busybox') continue;
    mkdirSync(dirname(target), { recursive: true });
    const depth = applet.split('/').length - 1;
    symlinkSync(`${'../'.repeat(depth)}bin/busybox`, target);
  }
  for (const d of ['tmp', 'root', 'etc', 'var/tmp']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  chmodSync(join(root, 'var/tmp'), 0o1777);
  chmodSync(join(root, 'root'), 0o700);
}

const baseRecipe: Recipe = {
  name: 'busybox',
  tag: BASE_IMAGE,
  inputs: [BUSYBOX],
  changes: [`ENV ${PATH_ENV}`, 'CMD ["sh"]'],
  assemble: async (root) => {
    await addBusybox(root);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  },
};

// Same user, home and state directory as the upstream image: user kamal-proxy, home
// /home/kamal-proxy, state in /home/kamal-proxy/.config/kamal-proxy (where Kamal mounts the
// kamal-proxy-config volume), binary in /usr/local/bin, CMD `kamal-proxy run`, ports 80 and 443.
const proxyRecipe: Recipe = {
  name: 'kamal-proxy',
  tag: PROXY_IMAGE,
  inputs: [BUSYBOX, paths.kamalProxyBinary, '/etc/ssl/certs/ca-certificates.crt'],
  changes: [
    `ENV ${PATH_ENV}`,
    'USER kamal-proxy:kamal-proxy',
    'EXPOSE 80 443',
    'CMD ["kamal-proxy", "run"]',
    'LABEL org.opencontainers.image.title=kamal-proxy',
    'LABEL org.opencontainers.image.version=v0.9.0',
  ],
  assemble: async (root) => {
    await addBusybox(root);
    const uid = KAMAL_PROXY_UID;
    writeFileSync(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\nkamal-proxy:x:${uid}:${uid}::/home/kamal-proxy:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n`);
    writeFileSync(join(root, 'etc/group'), `root:x:0:\nkamal-proxy:x:${uid}:\nnogroup:x:65534:\n`);
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(paths.kamalProxyBinary, join(root, 'usr/local/bin/kamal-proxy'));
    chmodSync(join(root, 'usr/local/bin/kamal-proxy'), 0o755);
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
    const home = join(root, 'home/kamal-proxy');
    mkdirSync(join(home, '.config/kamal-proxy'), { recursive: true });
    for (const d of [home, join(home, '.config'), join(home, '.config/kamal-proxy')]) chownSync(d, uid, uid);
  },
};

function cacheKey(recipe: Recipe): string {
  const hash = createHash('sha256').update(RECIPE_VERSION).update(recipe.tag).update(recipe.changes.join('\n'));
  for (const input of recipe.inputs) {
    if (!existsSync(input)) throw new TestbedError(`${input} is missing: run \`bash test/testbed/install.sh\` first`);
    hash.update(readFileSync(input));
  }
  return hash.digest('hex').slice(0, 16);
}

function cachedTar(recipe: Recipe): string {
  return join(paths.imageCache, `${recipe.name}-${cacheKey(recipe)}.image.tar`);
}

/** Makes the image in the deployer's daemon and saves it to the cache, unless the cache has it. */
async function ensureCachedImage(recipe: Recipe, deployerSocket: string): Promise<string> {
  const tar = cachedTar(recipe);
  if (existsSync(tar)) return tar;
  const env = dockerEnv(deployerSocket);
  const staging = join(paths.imageCache, `${recipe.name}.rootfs`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await recipe.assemble(staging);
  const rootfsTar = `${staging}.tar`;
  await run(['tar', '--numeric-owner', '-C', staging, '-cf', rootfsTar, '.']);
  const changeArgs = recipe.changes.flatMap((c) => ['--change', c]);
  await run(['docker', 'import', ...changeArgs, '--message', `sextant testbed ${recipe.name}`, rootfsTar, recipe.tag], { env });
  // Drop older cache entries of this recipe before writing the new one.
  for (const f of readdirSync(paths.imageCache)) if (f.startsWith(`${recipe.name}-`) && f.endsWith('.image.tar')) rmSync(join(paths.imageCache, f));
  await run(['docker', 'save', '-o', `${tar}.partial`, recipe.tag], { env });
  await run(['mv', `${tar}.partial`, tar]);
  rmSync(staging, { recursive: true, force: true });
  rmSync(rootfsTar, { force: true });
  return tar;
}

export async function loadImage(tar: string, socket: string): Promise<void> {
  await run(['docker', 'load', '-q', '-i', tar], { env: dockerEnv(socket) });
}

export async function imagePresent(tag: string, socket: string): Promise<boolean> {
  return succeeds(['docker', 'image', 'inspect', tag], { env: dockerEnv(socket) });
}

/** Path of the cached kamal-proxy image (for loading into servers); ensureImages must have run. */
export function proxyImageTar(): string {
  return cachedTar(proxyRecipe);
}

/** Base and proxy images in the deployer's daemon (made, or loaded from the cache). */
export async function ensureDeployerImages(deployerSocket: string): Promise<void> {
  mkdirSync(paths.imageCache, { recursive: true });
  for (const recipe of [baseRecipe, proxyRecipe]) {
    const tar = await ensureCachedImage(recipe, deployerSocket);
    if (!(await imagePresent(recipe.tag, deployerSocket))) await loadImage(tar, deployerSocket);
  }
}

/** Whether the registry holds `image` (host:port/repo:tag), asked over its HTTP API. */
export function registryHasImage(image: string): Promise<boolean> {
  const rest = image.slice(REGISTRY_HOST.length + 1);
  const colon = rest.lastIndexOf(':');
  const [host, port] = REGISTRY_HOST.split(':');
  const auth = Buffer.from(`${REGISTRY_USER}:${registryPassword()}`).toString('base64');
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host,
        port: Number(port),
        method: 'HEAD',
        path: `/v2/${rest.slice(0, colon)}/manifests/${rest.slice(colon + 1)}`,
        ca: readFileSync(paths.caCert),
        headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' },
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The base and proxy images in the registry, pushed from the deployer unless already there. */
export async function ensureRegistryImages(deployerSocket: string): Promise<void> {
  const pairs = [
    [BASE_IMAGE, REGISTRY_BASE_IMAGE],
    [PROXY_IMAGE, CUSTOM_PROXY_IMAGE],
  ] as const;
  const missing = [];
  for (const pair of pairs) if (!(await registryHasImage(pair[1]))) missing.push(pair);
  if (missing.length === 0) return;
  mkdirSync(paths.dockerConfig, { recursive: true, mode: 0o700 });
  const env = dockerEnv(deployerSocket);
  await run(['docker', 'login', '--username', REGISTRY_USER, '--password-stdin', REGISTRY_HOST], { env, input: registryPassword() });
  await Promise.all(
    missing.map(async ([local, remote]) => {
      await run(['docker', 'tag', local, remote], { env });
      await run(['docker', 'push', '-q', remote], { env });
    }),
  );
}

/**
 * A docker data root holding the kamal-proxy image, copied into every new server before its
 * dockerd starts (a copy takes a tenth of the time of a `docker load`). Made once per proxy image,
 * by a short-lived template node, and kept in the cache.
 */
export async function ensureServerSeed(): Promise<string> {
  const seed = join(paths.imageCache, `server-data-root-${cacheKey(proxyRecipe)}`);
  if (existsSync(seed)) return seed;
  const tar = proxyImageTar();
  if (!existsSync(tar)) throw new TestbedError(`${tar} is missing: the deployer must make the proxy image first`);
  const p = nodePaths(TEMPLATE.name);
  await createNode(TEMPLATE);
  try {
    await loadImage(tar, p.dockerSocket);
    await stopDockerd(p);
    for (const f of readdirSync(paths.imageCache)) if (f.startsWith('server-data-root-')) rmSync(join(paths.imageCache, f), { recursive: true, force: true });
    await run(['cp', '-a', p.dockerData, `${seed}.partial`]);
    await run(['mv', `${seed}.partial`, seed]);
  } finally {
    await destroyNode(TEMPLATE.name);
  }
  return seed;
}

/** Path of the server seed if it is already made. */
export function cachedServerSeed(): string | undefined {
  try {
    const seed = join(paths.imageCache, `server-data-root-${cacheKey(proxyRecipe)}`);
    return existsSync(seed) ? seed : undefined;
  } catch {
    return undefined;
  }
}
