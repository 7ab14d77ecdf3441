// Bitwarden Secrets Manager (`bws`). `all` lists every secret, `<project>/all` a project's, any
// other name is a secret id fetched on its own. Output is `KEY="value"` lines (`-o env`).
import { UserError } from '../../errors.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { prefixedSecrets, requireCli, succeeded } from './base.ts';

const LIST = ['secret', 'list', '-o', 'env'];
const GET = ['secret', 'get', '-o', 'env'];

export const bitwardenSecretsManager: SecretsAdapter<void> = {
  requiresAccount: false,

  async checkDependencies(context) {
    await requireCli(context, ['bws', '--version'], 'Bitwarden Secrets Manager CLI is not installed');
  },

  async login(_account, context) {
    if (!succeeded(await bws(['run', 'echo OK'], context))) {
      throw new UserError('Could not authenticate to Bitwarden Secrets Manager. Did you set a valid access token?');
    }
  },

  async fetchSecrets(secrets, { from }, context) {
    if (secrets.length === 0) throw new UserError('You must specify what to retrieve from Bitwarden Secrets Manager');
    const names = prefixedSecrets(secrets, from);
    const list = listCommand(names);
    const results = new Map<string, string>();

    if (list === undefined) {
      for (const id of names) {
        const result = await bws([...GET, id], context);
        if (!succeeded(result)) throw new UserError(`Could not read ${id} from Bitwarden Secrets Manager`);
        const [key, value] = parseSecret(result.stdout);
        results.set(key, value);
      }
    } else {
      const result = await bws(list, context);
      if (!succeeded(result)) throw new UserError('Could not read secrets from Bitwarden Secrets Manager');
      for (const line of splitLines(result.stdout)) {
        const [key, value] = parseSecret(line);
        results.set(key, value);
      }
    }
    return results;
  },
};

function bws(args: string[], context: AdapterContext) {
  return context.run({ argv: ['bws', ...args] });
}

function listCommand(names: string[]): string[] | undefined {
  if (names.length !== 1) return undefined;
  const [name] = names as [string];
  if (name === 'all') return LIST;
  if (name.endsWith('/all')) return [...LIST, name.split('/all')[0]!];
  return undefined;
}

// Ruby's `split("\n")`: trailing empty lines are dropped.
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// `KEY="value"` → [KEY, value]; like Kamal, a quote is removed at the start and end of each line
// of the value (so a trailing newline after the closing quote is kept).
function parseSecret(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals < 0) throw new UserError('Could not parse the output of `bws` (expected KEY=value lines)');
  const value = text.slice(equals + 1).replace(/(?<![\s\S])"|(?<=\n)"|"(?=\n|(?![\s\S]))/g, '');
  return [text.slice(0, equals), value];
}
