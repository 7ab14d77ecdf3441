import { describe, hashOf, stringish } from './common.ts';

/** Top-level `kamal` commands an alias may not shadow (Kamal::Cli::Main.commands in 2.6.0). */
export const BUILT_IN_COMMANDS = [
  'accessory', 'app', 'audit', 'build', 'config', 'deploy', 'details', 'docs', 'init', 'lock', 'proxy', 'prune',
  'redeploy', 'registry', 'remove', 'rollback', 'secrets', 'server', 'setup', 'upgrade', 'version',
];

const ALIAS_NAME = /^[a-z0-9_-]+$/;

/** `aliases:` — name → kamal command line. */
export const aliasesSchema = () =>
  describe(hashOf(stringish()), {
    description: 'Shortcuts: `kamal <name>` runs the given kamal command line.',
    rules: ['names use lowercase letters, digits, - and _', 'names may not be built-in commands'],
  }).superRefine((aliases, ctx) => {
    for (const name of Object.keys(aliases)) {
      if (!ALIAS_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `Invalid alias name: '${name}'. Must only contain lowercase letters, alphanumeric, hyphens and underscores.`,
        });
      }
      if (BUILT_IN_COMMANDS.includes(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `Alias '${name}' conflicts with a built-in command.` });
      }
    }
  });
