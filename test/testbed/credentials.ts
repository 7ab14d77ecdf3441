// Keys and secrets the testbed makes once and keeps across `down`/`up`: the CA and the registry's
// certificate, the registry password and its htpasswd file, and the SSH key that logs in as root.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BRIDGE_IP, paths, REGISTRY_USER } from './layout.ts';
import { run } from './exec.ts';

export async function ensureCa(): Promise<void> {
  mkdirSync(paths.caDir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    await run([
      'openssl', 'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', paths.caKey, '-out', paths.caCert, '-days', '3650', '-subj', '/CN=Sextant testbed CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  if (!existsSync(paths.registryCert) || !certNamesBridge()) {
    const csr = join(paths.caDir, 'registry.csr');
    const ext = join(paths.caDir, 'registry.ext');
    writeFileSync(ext, `subjectAltName=IP:${BRIDGE_IP}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    await run(['openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-keyout', paths.registryKey, '-out', csr, '-subj', `/CN=${BRIDGE_IP}`]);
    await run(['openssl', 'x509', '-req', '-in', csr, '-CA', paths.caCert, '-CAkey', paths.caKey, '-CAcreateserial', '-days', '3650', '-extfile', ext, '-out', paths.registryCert]);
  }
}

function certNamesBridge(): boolean {
  // Cheap check that the certificate was made for the current bridge address.
  return readFileSync(paths.registryCert, 'utf8').length > 0 && existsSync(join(paths.caDir, 'registry.ext')) && readFileSync(join(paths.caDir, 'registry.ext'), 'utf8').includes(`IP:${BRIDGE_IP}`);
}

export async function ensureRegistryPassword(): Promise<string> {
  mkdirSync(paths.registryDir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.registryPassword)) {
    writeFileSync(paths.registryPassword, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(paths.registryPassword, 'utf8').trim();
  if (!existsSync(paths.registryHtpasswd)) {
    const line = await run(['htpasswd', '-B', '-i', '-n', REGISTRY_USER], { input: password });
    writeFileSync(paths.registryHtpasswd, line.stdout, { mode: 0o600 });
  }
  return password;
}

export function registryPassword(): string {
  return readFileSync(paths.registryPassword, 'utf8').trim();
}

export async function ensureSshKey(): Promise<void> {
  mkdirSync(paths.sshDir, { recursive: true, mode: 0o700 });
  if (!existsSync(paths.sshKey)) {
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'sextant-testbed', '-f', paths.sshKey]);
  }
  chmodSync(paths.sshKey, 0o600);
}

export function sshPublicKey(): string {
  return readFileSync(`${paths.sshKey}.pub`, 'utf8');
}
