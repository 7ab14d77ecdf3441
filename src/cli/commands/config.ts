import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configurationReference, deployJsonSchema, envFor, type Config, type Credential, type RegistryConfig } from '../../config/index.ts';
import { isUserError } from '../../errors.ts';
import { allowUndefinedSecrets, checkSecretReferences, MISSING_SECRET, undefinedSecrets, type Secrets } from '../../secrets/index.ts';
import { globalOptions } from '../options.ts';
import { loadProject } from '../project.ts';
import { subcommand, type CliContext } from '../program.ts';

const REDACTED = '[REDACTED]';

export interface ConfigViewSecrets {
  /** Given with --reveal: the values to show. */
  reveal?: Secrets;
  /** Secrets no secrets file defines: shown as MISSING_SECRET, never as a value or as redacted. */
  missing?: ReadonlySet<string>;
}

// The resolved configuration as `kamal config` shows it, plus each role's env per host. Secret
// values appear only with --reveal.
export function configView(config: Config, version: string, { reveal, missing }: ConfigViewSecrets = {}): Record<string, unknown> {
  const secretValue = (name: string) => (missing?.has(name) ? MISSING_SECRET : reveal ? reveal.get(name) : REDACTED);
  const credential = (c: Credential | undefined) => (c === undefined ? undefined : 'value' in c ? c.value : secretValue(c.secret));
  // A password written straight into deploy.yml is still a password: shown only with --reveal.
  const password = (c: Credential | undefined) => (c === undefined ? undefined : 'value' in c ? (reveal ? c.value : REDACTED) : secretValue(c.secret));
  const registryView = (r: RegistryConfig) => ({ server: r.server, username: credential(r.username), password: password(r.password) });
  return {
    service: config.service,
    destination: config.destination,
    roles: config.roles.map((r) => r.name),
    hosts: config.allHosts,
    primary_host: config.primaryHost,
    version,
    repository: config.repository,
    absolute_image: `${config.repository}:${version}`,
    service_with_version: `${config.service}-${version}`,
    volume_args: config.volumes.flatMap((v) => ['--volume', v]),
    registry: registryView(config.registry),
    servers: Object.fromEntries(
      config.roles.map((role) => [
        role.name,
        {
          hosts: role.hosts,
          cmd: role.cmd,
          proxy: role.runsProxy ? role.proxy : false,
          env: Object.fromEntries(
            role.hosts.map((host) => {
              const env = envFor(config, role.name, host);
              return [host, { clear: Object.fromEntries(env.clear), secret: Object.fromEntries(env.secrets.map(([name, key]) => [name, secretValue(key)])) }];
            }),
          ),
        },
      ]),
    ),
    ssh_options: config.ssh,
    sshkit: config.sshkit,
    builder: config.builder,
    accessories: Object.fromEntries(config.accessories.map((a) => [a.name, { ...a, ...(a.registry ? { registry: registryView(a.registry) } : {}), env: { clear: Object.fromEntries(a.env.clear), secret: a.env.secret.map((s) => `${s.split(':')[0]}=${secretValue(s.split(':')[1] ?? s)}`) } }])),
    logging: config.logging,
    boot: config.boot,
    retry: config.sextant.retry,
  };
}

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  subcommand(program, 'config', ctx)
    .description('Show the combined config (secret values redacted unless --reveal)')
    .option('--reveal', 'Show secret values')
    .action(async (options: { reveal?: boolean }, command: Command) => {
      const project = loadProject(globalOptions(command), ctx.io);
      const warn = (line: string) => ctx.io.err(line);
      const secrets = await project.secrets();
      // Showing the config needs no secret values: an undefined one is a warning, unless asked
      // to reveal the values.
      if (options.reveal) checkSecretReferences(project.config, secrets);
      else allowUndefinedSecrets(project.config, secrets, warn);
      const missing = new Set(undefinedSecrets(project.config, secrets).map((m) => m.secret));
      const view = configView(project.config, versionOrMissing(() => project.version(), warn), { reveal: options.reveal ? secrets : undefined, missing });
      ctx.io.out(stringify(JSON.parse(JSON.stringify(view))));
    });

  subcommand(program, 'docs [section]', ctx)
    .description('Show the configuration reference, or one section of it (e.g. proxy, builder)')
    .action((section: string | undefined) => ctx.io.out(docsSection(configurationReference(), section)));

  subcommand(program, 'schema', ctx)
    .description('Print the JSON Schema of config/deploy.yml (for yaml-language-server and editors)')
    .action(() => ctx.io.out(JSON.stringify(deployJsonSchema(), null, 2)));

  subcommand(program, 'version', ctx)
    .description('Show the Sextant version')
    .action(() => ctx.io.out(SEXTANT_VERSION));
}

export const SEXTANT_VERSION = '0.1.0';

// No version yet (a folder without git commits, no --version or VERSION) is no reason to hide the
// config: it is shown as missing, with the reason as a warning.
function versionOrMissing(version: () => string, warn: (line: string) => void): string {
  try {
    return version();
  } catch (error) {
    if (!isUserError(error)) throw error;
    warn(`WARNING: version shown as ${MISSING_SECRET}: ${error.message}`);
    return MISSING_SECRET;
  }
}

// The reference rows for one top-level key (e.g. `proxy` gives `proxy`, `proxy/ssl`, …), under
// the table header; the whole reference without a section.
export function docsSection(reference: string, section?: string): string {
  if (!section) return reference;
  const key = section.toLowerCase().replace(/-/g, '_');
  const lines = reference.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| Key |'));
  const rows = lines.filter((line) => {
    const cell = /^\| `([^`]+)` \|/.exec(line)?.[1];
    return cell !== undefined && (cell === key || cell.startsWith(`${key}/`));
  });
  if (header === -1 || rows.length === 0) return `No documentation found for ${section}`;
  return [`## ${section}`, '', ...lines.slice(header, header + 2), ...rows].join('\n');
}
