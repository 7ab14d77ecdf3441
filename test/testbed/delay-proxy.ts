// A TCP proxy that delays every chunk by a fixed time in each direction: the testbed's stand-in for
// `tc netem delay`, which this kernel lacks. Runs inside a server's network namespace; iptables
// REDIRECTs new SSH connections to it and it forwards them to 127.0.0.1:<target>.
//   node --import tsx test/testbed/delay-proxy.ts <listen-port> <target-port> <delay-ms> <pid-file>
// SIGTERM stops accepting and drops the delay to zero; connections already through it carry on
// until they close, then the process exits.
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const [listenText, targetText, delayText, pidFile] = process.argv.slice(2);
const listenPort = Number(listenText);
const targetPort = Number(targetText);
let delayMs = Number(delayText);
if (!listenPort || !targetPort || !Number.isFinite(delayMs) || !pidFile) {
  console.error('usage: delay-proxy.ts <listen-port> <target-port> <delay-ms> <pid-file>');
  process.exit(2);
}

let open = 0;

/**
 * Copies `from` to `to`, each chunk `delayMs` after it arrived. One queue per direction keeps the
 * order even when the delay changes (separate timers of different lengths could reorder chunks,
 * which breaks an SSH stream).
 */
function pipeDelayed(from: Socket, to: Socket): void {
  const queue: Array<{ due: number; chunk: Buffer | undefined }> = [];
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.due ?? 0) <= now) {
      const { chunk } = queue.shift() as { chunk: Buffer | undefined };
      if (to.destroyed) continue;
      if (chunk) to.write(chunk);
      else to.end();
    }
    const head = queue[0];
    if (head) timer = setTimeout(pump, Math.max(0, head.due - now));
  };
  const push = (chunk: Buffer | undefined) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (!timer) timer = setTimeout(pump, Math.max(0, (queue[0]?.due ?? 0) - performance.now()));
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(undefined));
  from.on('error', () => to.destroy());
}

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

const server = createServer((client) => {
  open++;
  const peer = `${client.remoteAddress}:${client.remotePort}`;
  log(`open ${peer} (${open} open)`);
  const upstream = connect({ host: '127.0.0.1', port: targetPort });
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
  upstream.on('error', (err) => {
    log(`upstream error for ${peer}: ${err.message}`);
    client.destroy();
  });
  client.on('error', (err) => log(`client error ${peer}: ${err.message}`));
  let closed = 0;
  const onClose = () => {
    if (++closed === 2) {
      open--;
      log(`closed ${peer} (${open} open)`);
      if (stopping && open === 0) exit();
    }
  };
  client.on('close', onClose);
  upstream.on('close', onClose);
});

let stopping = false;
function exit(): void {
  // A newer proxy may have taken over the pid file; leave its file alone.
  try {
    if (readFileSync(pidFile as string, 'utf8').trim() === String(process.pid)) rmSync(pidFile as string, { force: true });
  } catch {
    // no pid file
  }
  process.exit(0);
}

process.on('SIGTERM', () => {
  log(`SIGTERM: no delay from now on, exiting when ${open} open connection(s) close`);
  stopping = true;
  delayMs = 0;
  server.close();
  if (open === 0) exit();
});

// A proxy that is draining after SIGTERM may still hold the port for a moment: retry briefly.
let listenAttempts = 0;
server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE' && ++listenAttempts < 40) {
    setTimeout(() => server.listen(listenPort, '0.0.0.0'), 50);
    return;
  }
  throw err;
});
server.on('listening', () => {
  writeFileSync(pidFile, String(process.pid));
  log(`delay proxy :${listenPort} -> 127.0.0.1:${targetPort}, ${delayMs} ms each way`);
});
server.listen(listenPort, '0.0.0.0');
