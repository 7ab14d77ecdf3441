import { parseDocument, Scalar } from 'yaml';
import type { ScalarTag, Tags } from 'yaml';

// Kamal reads YAML with Ruby's Psych (YAML 1.1): `yes`/`no`/`on`/`off` are booleans in any case,
// but `y`/`n` stay strings. The yaml package's 1.1 schema also treats `y`/`n` as booleans, so its
// boolean tags are swapped for Psych's.
const psychTrue: ScalarTag = {
  identify: (value) => value === true,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:yes|true|on)$/i,
  resolve: () => new Scalar(true),
};
const psychFalse: ScalarTag = {
  identify: (value) => value === false,
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:no|false|off)$/i,
  resolve: () => new Scalar(false),
};

// Psych keeps a lone `.` (or `+.`/`-.`) and exponents without a decimal point (`1e3`) as strings,
// where the yaml package's 1.1 float patterns would make them numbers.
const psychDot: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:str',
  test: /^(?:[-+]?\.|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+)$/,
  resolve: (source) => source,
};

function psychTags(tags: Tags): Tags {
  return [psychDot, psychTrue, psychFalse, ...tags.filter((tag) => (typeof tag === 'string' ? tag !== 'bool' : tag.tag !== 'tag:yaml.org,2002:bool'))];
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(line === undefined ? detail : `line ${line}: ${detail}`);
  }
}

/**
 * Parses one YAML document the way Psych's `unsafe_load` would (anchors, aliases, `<<` merges,
 * duplicate keys resolved last-wins). `sourceLines` maps output lines of the ERB pass back to the file.
 */
export function parseYaml(text: string, sourceLines?: number[]): unknown {
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    customTags: psychTags,
    prettyErrors: true,
  });
  const error = doc.errors[0];
  if (error) {
    const renderedLine = error.linePos?.[0]?.line;
    const line = renderedLine === undefined ? undefined : (sourceLines?.[renderedLine - 1] ?? renderedLine);
    const firstLine = error.message.split('\n')[0] ?? error.message;
    const detail = firstLine.replace(/ at line \d+, column \d+:?$/, '');
    const column = error.linePos?.[0]?.col;
    throw new YamlSyntaxError(line, `invalid YAML: ${detail}${column === undefined ? '' : ` (column ${column})`}`);
  }
  return doc.toJS({ maxAliasCount: 1000 });
}
