import { and, argv, pipe, raw, sensitive, squote, write, type Command } from './command.ts';

// A file written by a command rather than over SFTP: what a remote shell (src/remote/remote-shell.ts)
// runs to upload a small file in the same round trip as the commands around it.
//   umask 077 && printf '%s' '<base64>' | base64 -d > <path> && chmod <mode> <path>
// The content travels base64-encoded as an argument of `printf`, a builtin of every POSIX sh, so it
// is never on a process's command line on the server; the remote shell evaluates this line itself
// (never under `timeout … sh -c '…'`, which would put it there). Displayed, the content is redacted.
// The mode is set explicitly, as an upload sets it: an existing file keeps its own otherwise.
export function writeFileCommand(path: string, content: string, mode: number): Command {
  return and(
    argv('umask', '077'),
    write(pipe(argv('printf', raw("'%s'"), sensitive(squote(Buffer.from(content).toString('base64')))), argv('base64', '-d')), squote(path)),
    argv('chmod', mode.toString(8), squote(path)),
  );
}
