import { Option, type Command } from 'commander';

// Kamal's class options (cli/base.rb), accepted by every command, before or after it.
export interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
  version?: string;
  primary?: boolean;
  hosts?: string[];
  roles?: string[];
  configFile: string;
  destination?: string;
  skipHooks?: boolean;
}

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

export function addGlobalOptions(command: Command): Command {
  return command
    .option('-v, --verbose', "Also print every command's output")
    .option('-q, --quiet', 'Hide progress; print only warnings and errors')
    .option('--version <version>', 'Target this app version instead of the current one')
    .option('-p, --primary', 'Limit the command to the primary host')
    .addOption(new Option('-h, --hosts <hosts>', 'Limit the command to these hosts (comma-separated; * works as a wildcard)').argParser(commaList))
    .addOption(new Option('-r, --roles <roles>', 'Limit the command to these roles (comma-separated; * works as a wildcard)').argParser(commaList))
    .option('-c, --config-file <path>', 'Config file to read', 'config/deploy.yml')
    .option('-d, --destination <name>', 'Load the config for this destination (staging merges in deploy.staging.yml)')
    .option('-H, --skip-hooks', 'Skip the hook scripts');
}

// The commands that run the deployment machines can show them live in the Stately inspector.
export function addInspectOption(command: Command): Command {
  return command.option(
    '--inspect [url]',
    "Show the run's state machines live in the Stately inspector, through its WebSocket endpoint (default ws://localhost:8080)",
  );
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

// Thor accepts both `--skip_push` and `--skip-push`; commander only knows the dashed form.
// Thor also reads a single-letter switch joined to its value by `=` (`-d=staging`, its EQ_RE);
// commander would keep the `=` in the value, so the value-taking short options are split here.
const SHORT_WITH_VALUE = /^-([cdhrm])=(.*)$/s;

export function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough) out.push(arg);
    else if (arg === '--') {
      passthrough = true;
      out.push(arg);
    } else if (/^--[a-z][a-z0-9_-]*(=.*)?$/is.test(arg)) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      out.push(name.replace(/_/g, '-') + (eq === -1 ? '' : arg.slice(eq)));
    } else if (SHORT_WITH_VALUE.test(arg)) {
      const [, letter, value] = SHORT_WITH_VALUE.exec(arg) as RegExpExecArray;
      out.push(`-${letter}`, value as string);
    } else out.push(arg);
  }
  return out;
}
