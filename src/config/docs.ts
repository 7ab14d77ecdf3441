import { deployJsonSchema } from './json-schema.ts';

type Node = Record<string, unknown>;

function asNode(value: unknown): Node | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;
}

function typeName(node: Node, nested = false): string {
  if (nested && typeof node['title'] === 'string') return node['title'];
  const anyOf = node['anyOf'];
  if (Array.isArray(anyOf)) return [...new Set(anyOf.map((branch) => typeName(asNode(branch) ?? {}, true)))].join(' or ');
  const type = node['type'];
  if (Array.isArray(type)) {
    if (type.includes('string')) return 'string';
    return type.join(' or ');
  }
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const items = asNode(node['items']);
      return items ? `array of ${typeName(items, true)}` : 'array';
    }
    case 'object': {
      if (asNode(node['properties'])) return 'hash';
      const values = asNode(node['additionalProperties']);
      return values ? `hash of ${typeName(values, true)}` : 'hash';
    }
    default:
      if (node['const'] !== undefined) return JSON.stringify(node['const']);
      return 'any';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

function rowsFor(node: Node, path: string, rows: Row[], seen: Set<string>): void {
  if (path && !seen.has(path)) {
    seen.add(path);
    const rules = Array.isArray(node['x-rules']) ? (node['x-rules'] as string[]) : [];
    const description = [node['description'] as string | undefined, ...rules.map((rule) => `Rule: ${rule}.`)].filter(Boolean).join(' ');
    rows.push({
      path,
      type: typeName(node),
      default: node['default'] === undefined ? '' : `\`${JSON.stringify(node['default'])}\``,
      description,
    });
  }
  const branches = Array.isArray(node['anyOf']) ? (node['anyOf'] as unknown[]).map(asNode).filter((b): b is Node => !!b) : [node];
  for (const branch of branches) {
    const properties = asNode(branch['properties']);
    if (properties) {
      for (const [key, child] of Object.entries(properties)) {
        const childNode = asNode(child);
        if (childNode) rowsFor(childNode, path ? `${path}/${key}` : key, rows, seen);
      }
    }
    const values = asNode(branch['additionalProperties']);
    if (values && !properties) {
      const placeholder = placeholderFor(path);
      if (placeholder) rowsFor(values, `${path}/${placeholder}`, rows, seen);
    }
    const items = asNode(branch['items']);
    if (items && (asNode(items['properties']) || Array.isArray(items['anyOf']))) rowsFor(items, `${path}/<n>`, rows, seen);
  }
}

function placeholderFor(path: string): string | undefined {
  if (path === 'servers') return '<role>';
  if (path === 'accessories') return '<name>';
  if (path === 'env/tags') return '<tag>';
  return undefined;
}

/**
 * Markdown reference of every key of config/deploy.yml: path, type, default and rules, generated
 * from the same schemas that validate the file.
 */
export function configurationReference(): string {
  const schema = deployJsonSchema();
  const rows: Row[] = [];
  rowsFor(schema, '', rows, new Set());
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema by configurationReference(); do not edit by hand. -->',
    '',
    'Sextant reads the same `config/deploy.yml` as Kamal 2.6.0 (plus `config/deploy.<destination>.yml`, deep-merged over it,',
    'when a destination is given). It also takes the keys Kamal added up to 2.12, each marked with its Kamal version below; a',
    'config without them gives exactly the commands of Kamal 2.6.0. `KAMAL_HOST`/`KAMAL_DESTINATION` in app containers',
    '(Kamal 2.7/2.8) would change every `docker run`, so they are opt-in (`x-sextant/host_env`). Unknown keys are errors. Keys starting with `x-` are allowed at the top level only and',
    'ignored, except `x-sextant`, which holds Sextant\'s own settings. A "string" also accepts numbers and booleans, as in Kamal.',
    '`<%= ENV["NAME"] %>`, `<%= ENV.fetch("NAME") %>` and `<%= ENV.fetch("NAME", "default") %>` are expanded before the YAML is read;',
    'other ERB is refused.',
    '',
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| \`${cell(row.path)}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`),
    '',
    '## Checks across keys',
    '',
    '- `servers` is required unless `accessories` is given: `No servers or accessories specified`.',
    "- The primary role (`primary_role`, default `web`) must exist and have hosts; other roles need hosts unless `allow_empty_roles: true`.",
    '- `require_destination: true` without a destination: `You must specify a destination`.',
    '- `minimum_version` higher than 2.6.0 is refused; `retain_containers` must be at least 1.',
    '- `service` may only contain letters, digits, `-` and `_`.',
    '- Hooks named `pre-traefik-reboot` / `post-traefik-reboot` in `hooks_path` must be renamed to `(pre|post)-proxy-reboot`.',
    '- A role with `proxy.ssl: true` may have only one server (a custom certificate, `proxy.ssl: {certificate_pem, private_key_pem}`, may be served by any number), and roles with ssl may not share a host name. Accessories cannot have a custom certificate.',
    '- The roles and accessories on one host must agree on `proxy.run`: `Conflicting proxy run configurations for host …`.',
    '- `registry.server: localhost:<port>` without username and password is a local registry (Kamal 2.8); with them it is an ordinary registry, as in Kamal 2.6.0. Accessory registries cannot be local.',
    '- Each accessory takes exactly one of `host`, `hosts`, `role`, `roles`, `tag`, `tags`; its roles must exist.',
    '- `options` of roles and accessories may not set `restart`.',
    '',
  ];
  return lines.join('\n');
}
