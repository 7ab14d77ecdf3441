// Passbolt (`passbolt`, go-passbolt-cli), Kamal 2.7's adapter. A secret is a resource name, at
// the root or under a folder path (`folder/sub/NAME`, or `--from folder/sub`). The folders are
// looked up first (top-level ones by name, nested ones by name and parent id), then every wanted
// resource in one `passbolt list resources` with a filter; values are the resources' passwords.
import { UserError } from '../../errors.ts';
import { inspectStrings, rubySplit } from '../ruby.ts';
import { shellEscape } from '../shellwords.ts';
import type { AdapterContext, SecretsAdapter } from './base.ts';
import { isRecord, parseCliJson, prefixedSecrets, requireCli, stringValue, succeeded } from './base.ts';

interface Folder {
  id: string;
  name: string;
  parentId: string;
}

export const passbolt: SecretsAdapter<void> = {
  requiresAccount: false,

  async checkDependencies(context) {
    await requireCli(context, ['passbolt', '--version'], 'Passbolt CLI is not installed');
  },

  async login(_account, context) {
    if (!succeeded(await context.run({ argv: ['passbolt', 'verify'] }))) throw new UserError('Failed to login to Passbolt');
  },

  async fetchSecrets(secrets, { from }, context) {
    const names = prefixedSecrets(secrets, from);
    if (names.length === 0) throw new UserError('No secrets given to fetch');
    const secretNames = names.map((name) => rubySplit(name, '/').at(-1) ?? '');
    const folders = await findFolders(names, context);

    const conditions: string[] = [];
    for (const name of names) {
      const parts = rubySplit(name, '/');
      const secretName = parts.at(-1) ?? '';
      if (parts.length > 1) {
        // The deepest folder of the path that was found.
        let current: Folder | undefined;
        const path: string[] = [];
        for (const folderName of parts.slice(0, -1)) {
          path.push(folderName);
          const match = folders.find((folder) => folderPath(folder, folders) === path.join('/'));
          if (match) current = match;
        }
        if (current) conditions.push(`(Name == ${quote(secretName)} && FolderParentID == ${quote(current.id)})`);
      } else {
        conditions.push(`Name == ${quote(secretName)}`);
      }
    }

    const argv = [
      'passbolt', 'list', 'resources',
      ...(conditions.length > 0 ? ['--filter', conditions.join(' || ')] : []),
      ...folders.flatMap((folder) => ['--folder', folder.id]),
      '--column', 'name', '--column', 'password', '--json',
    ];
    const result = await context.run({ argv });
    if (!succeeded(result)) throw new UserError(`Could not read ${inspectStrings(names)} from Passbolt`);
    const items = parseCliJson(result.stdout, argv);
    const list = Array.isArray(items) ? items.filter(isRecord) : [];
    const found = new Set(list.map((item) => stringValue(item['name'])));
    const missing = secretNames.filter((name) => !found.has(name));
    if (missing.length > 0) throw new UserError(`Could not find the following secrets in Passbolt: ${missing.join(', ')}`);
    return new Map(list.map((item) => [stringValue(item['name']), stringValue(item['password'])]));
  },
};

// Kamal writes each name into the filter as `name.shellescape.inspect`: shell-escaped, then
// double-quoted the Ruby way.
function quote(text: string): string {
  return JSON.stringify(shellEscape(text));
}

async function listFolders(filter: string, context: AdapterContext): Promise<Folder[] | undefined> {
  const argv = ['passbolt', 'list', 'folders', '--filter', filter, '--json'];
  const result = await context.run({ argv });
  if (!succeeded(result)) return undefined;
  const items = parseCliJson(result.stdout, argv);
  return (Array.isArray(items) ? items.filter(isRecord) : []).map((item) => ({
    id: stringValue(item['id']),
    name: stringValue(item['name']),
    parentId: stringValue(item['folder_parent_id']),
  }));
}

async function findFolders(names: string[], context: AdapterContext): Promise<Folder[]> {
  const paths: string[][] = [];
  for (const name of names.filter((n) => n.includes('/'))) {
    const path = rubySplit(name, '/').slice(0, -1);
    if (!paths.some((known) => known.join('/') === path.join('/'))) paths.push(path);
  }
  if (paths.length === 0) return [];

  const parents = [...new Set(paths.map((path) => path[0] ?? ''))];
  const top = await listFolders(parents.map((name) => `Name == ${quote(name)}`).join(' || '), context);
  if (top === undefined) throw new UserError('Could not read folders from Passbolt');
  const all = [...top];

  for (const path of paths) {
    if (path.length <= 1) continue;
    let current = top.find((folder) => folder.name === path[0]);
    if (!current) continue;
    for (const folderName of path.slice(1)) {
      const nested = await listFolders(`Name == ${quote(folderName)} && FolderParentID == ${quote(current.id)}`, context);
      if (nested === undefined) continue;
      const [first] = nested;
      if (!first) break;
      all.push(...nested);
      current = first;
    }
  }

  const foundPaths = new Set(all.map((folder) => folderPath(folder, all)));
  const missing = paths.map((path) => path.join('/')).filter((path) => !foundPaths.has(path));
  if (missing.length > 0) throw new UserError(`Could not find the following folders in Passbolt: ${missing.join(', ')}`);
  return all;
}

/** The folder's path from the root, as far as its parents are known. */
function folderPath(folder: Folder, all: Folder[]): string {
  const path = [folder.name];
  let current = folder;
  const seen = new Set<string>([folder.id]);
  while (current.parentId !== '') {
    const parent = all.find((candidate) => candidate.id === current.parentId);
    if (!parent || seen.has(parent.id)) break;
    seen.add(parent.id);
    path.unshift(parent.name);
    current = parent;
  }
  return path.join('/');
}
