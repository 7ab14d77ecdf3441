// Ruby's File.fnmatch(pattern, name, File::FNM_EXTGLOB), as Kamal uses for --hosts/--roles:
// `*`, `?`, `[...]`, `{a,b}` and `\` escapes; `*` also matches `/`; a leading `.` must be matched literally.

function expandBraces(pattern: string): string[] {
  let depth = 0;
  let start = -1;
  for (let index = 0; index < pattern.length; index++) {
    const ch = pattern[index];
    if (ch === '\\') {
      index++;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) start = index;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        const inner = pattern.slice(start + 1, index);
        const alternatives: string[] = [];
        let level = 0;
        let from = 0;
        for (let at = 0; at < inner.length; at++) {
          const c = inner[at];
          if (c === '\\') at++;
          else if (c === '{') level++;
          else if (c === '}') level--;
          else if (c === ',' && level === 0) {
            alternatives.push(inner.slice(from, at));
            from = at + 1;
          }
        }
        alternatives.push(inner.slice(from));
        const before = pattern.slice(0, start);
        const after = pattern.slice(index + 1);
        return alternatives.flatMap((alternative) => expandBraces(before + alternative + after));
      }
    }
  }
  return [pattern];
}

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const ch = pattern[index] as string;
    if (ch === '\\' && index + 1 < pattern.length) {
      source += escape(pattern[++index] as string);
    } else if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const close = pattern.indexOf(']', index + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(index + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      index = close;
    } else {
      source += escape(ch);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function escape(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function fnmatch(pattern: string, name: string): boolean {
  return expandBraces(pattern).some((alternative) => {
    if (name.startsWith('.') && !alternative.startsWith('.') && !alternative.startsWith('\\.')) return false;
    return toRegExp(alternative).test(name);
  });
}

/** Kamal's `filter_specific_items`: items matching any filter, filter by filter, each once. */
export function filterSpecificItems(filters: string[], items: string[]): string[] {
  const matches: string[] = [];
  for (const filter of filters) for (const item of items) if (fnmatch(filter, item) && !matches.includes(item)) matches.push(item);
  return matches;
}
