import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, basename, join, resolve as resolvePath } from 'node:path';
import { configurationChecks } from './checks.ts';
import { ErbError, renderErb } from './erb.ts';
import type { ErbEnv } from './erb.ts';
import { ConfigError } from './errors.ts';
import type { ConfigIssue } from './errors.ts';
import { kamalIssues } from './issues.ts';
import type { RawIssue } from './issues.ts';
import { deepMerge, isHash } from './merge.ts';
import type { PlainHash } from './merge.ts';
import { resolveConfig } from './resolve.ts';
import { deploySchema } from './schema/root.ts';
import type { DeploySection } from './schema/root.ts';
import type { Config } from './types.ts';
import { parseYaml, YamlSyntaxError } from './yaml.ts';

export interface LoadOptions {
  /** Path of the main config file, relative to `cwd`; default `config/deploy.yml`. */
  configFile?: string;
  destination?: string;
  cwd?: string;
  /** Environment for `<%= ENV[...] %>`; default `process.env`. */
  env?: Record<string, string | undefined>;
}

export const DEFAULT_CONFIG_FILE = 'config/deploy.yml';

/** A file that was read: its path as the user gave it and its parsed top-level hash. */
interface ReadFile {
  file: string;
  raw: PlainHash;
}

/** `config/deploy.yml` → `config/deploy.<destination>.yml` (Ruby's `sub_ext`). */
export function destinationConfigFile(configFile: string, destination: string): string {
  const extension = extname(basename(configFile));
  const stem = extension ? configFile.slice(0, -extension.length) : configFile;
  return `${stem}.${destination}.yml`;
}

function fileError(file: string, message: string): ConfigError {
  return new ConfigError([{ file, path: '', message }]);
}

function readConfigFile(file: string, cwd: string, env: ErbEnv): ReadFile {
  const absolute = resolvePath(cwd, file);
  if (!existsSync(absolute)) {
    const message = `Configuration file not found in ${file}`;
    throw new ConfigError([{ file, path: '', message }], message);
  }
  const source = readFileSync(absolute, 'utf8');
  let rendered;
  try {
    rendered = renderErb(source, env);
  } catch (error) {
    if (error instanceof ErbError) throw fileError(file, error.message);
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(rendered.text, rendered.sourceLines);
  } catch (error) {
    if (error instanceof YamlSyntaxError) throw fileError(file, error.message);
    throw error;
  }
  if (parsed === null || parsed === undefined) throw fileError(file, 'should be a hash (the file has no settings)');
  if (!isHash(parsed)) throw fileError(file, 'should be a hash');
  return { file, raw: parsed };
}

/** Top-level `x-` keys are extensions Kamal ignores; only Sextant's own `x-sextant` is kept. */
function withoutExtensions(raw: PlainHash): PlainHash {
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('x-') || key === 'x-sextant'));
}

/**
 * Which file an issue belongs to: the destination file when it wrote the value at that key path
 * (arrays and scalars there replace the base file's wholesale), else the main file.
 */
function fileOf(issue: RawIssue, files: ReadFile[]): string {
  const [base, override] = files;
  if (!base) return '';
  if (!override) return base.file;
  let node: unknown = override.raw;
  for (const segment of issue.path) {
    if (Array.isArray(node) || !isHash(node)) return override.file;
    if (!(String(segment) in node)) return base.file;
    node = node[String(segment)];
  }
  if (issue.keys && isHash(node)) {
    const written = node;
    return issue.keys.every((key) => key in written) ? override.file : base.file;
  }
  return issue.path.length === 0 && !issue.keys ? base.file : override.file;
}

/** The config file that wrote the value at `path` (`env/secret/0` as segments). */
export function fileForKeyPath(path: string[], files: ReadFile[]): string {
  return fileOf({ path, message: '' }, files);
}

function toConfigIssues(raw: RawIssue[], files: ReadFile[]): ConfigIssue[] {
  return raw.map((issue) => ({ file: fileOf(issue, files), path: issue.path.join('/'), message: issue.message }));
}

/** Reads and merges the config files (ERB, YAML, destination overlay) without validating them. */
export function readConfigFiles(options: LoadOptions = {}): { files: string[]; raw: PlainHash; read: ReadFile[] } {
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.configFile ?? DEFAULT_CONFIG_FILE;
  const { destination } = options;
  // Kamal sets KAMAL_DESTINATION before rendering ERB (and unsets it without a destination).
  const env: Record<string, string | undefined> = { ...(options.env ?? process.env) };
  if (destination === undefined) delete env['KAMAL_DESTINATION'];
  else env['KAMAL_DESTINATION'] = destination;

  const paths = destination === undefined ? [configFile] : [configFile, destinationConfigFile(configFile, destination)];
  const read = paths.map((file) => readConfigFile(file, cwd, env));
  const raw = read.reduce<PlainHash>((merged, file) => deepMerge(merged, file.raw), {});
  return { files: paths, raw: withoutExtensions(raw), read };
}

/** Loads, validates and resolves the deploy configuration; throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): Config {
  const cwd = resolvePath(options.cwd ?? process.cwd());
  const { files, raw, read } = readConfigFiles(options);
  const result = deploySchema().safeParse(raw);
  if (!result.success) throw new ConfigError(toConfigIssues(kamalIssues(result.error.issues), read));
  const parsed: DeploySection = result.data;
  const config = resolveConfig(parsed, { destination: options.destination, files, cwd });
  const problems = configurationChecks(parsed, config);
  if (problems.length > 0) throw new ConfigError(toConfigIssues(problems, read));
  return config;
}

/** For tests and tools: the directory a relative config path is read from. */
export function configDirectory(options: LoadOptions = {}): string {
  return dirname(join(options.cwd ?? process.cwd(), options.configFile ?? DEFAULT_CONFIG_FILE));
}
