// A TCP proxy that delays every chunk by a fixed time in each direction: the testbed's stand-in for
// `tc netem delay`, which this kernel lacks. Runs inside a server's network namespace; iptables
// REDIRECTs new SSH connections to it and it forwards them to 127.0.0.1:<target>.
//   node --import tsx test/testbed/delay-proxy.ts <listen-port> <target-port> <delay-ms> <pid-file>
// SIGTERM stops accepting and drops the delay to zero; connections already through it carry on
// until they close, then the process exits.
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';

const [listenText, targetText, delayText, pidFile] = process.argv.slice(2);
const listenPort = Number(listenText);
const targetPort = Number(targetText);
let delayMs = Number(delayText);
if (!listenPort || !targetPort || !Number.isFinite(delayMs) || !pidFile) {
  console.error('usage: delay-proxy.ts <listen-port> <target-port> <delay-ms> <pid-file>');
  process.exit(2);
}

let open = 0;

/** Copies `from` to `to`, each chunk `delayMs` later than it arrived, keeping their order. */
function pipeDelayed(from: Socket, to: Socket): void {
  let lastDue = 0;
  from.on('data', (chunk: Buffer) => {
    const due = Math.max(Date.now() + delayMs, lastDue);
    lastDue = due;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, due - Date.now());
  });
  from.on('end', () => setTimeout(() => to.end(), Math.max(0, lastDue - Date.now())));
  from.on('error', () => to.destroy());
}

const server = createServer((client) => {
  open++;
  const upstream = connect({ host: '127.0.0.1', port: targetPort });
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
  upstream.on('error', () => client.destroy());
  let closed = 0;
  const onClose = () => {
    if (++closed === 2) {
      open--;
      if (stopping && open === 0) exit();
    }
  };
  client.on('close', onClose);
  upstream.on('close', onClose);
});

let stopping = false;
function exit(): void {
  rmSync(pidFile as string, { force: true });
  process.exit(0);
}

process.on('SIGTERM', () => {
  stopping = true;
  delayMs = 0;
  server.close();
  if (open === 0) exit();
});

server.listen(listenPort, '0.0.0.0', () => {
  writeFileSync(pidFile, String(process.pid));
  console.log(`delay proxy :${listenPort} -> 127.0.0.1:${targetPort}, ${delayMs} ms each way`);
});
