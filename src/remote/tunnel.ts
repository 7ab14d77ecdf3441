import { connect as tcpConnect } from 'node:net';
import type { Client, ConnectConfig } from 'ssh2';
import { RemoteError } from './failures.ts';
import { newSshClient } from './ssh2-client.ts';
import { authHandler, parseProxy, type SshSettings } from './ssh.ts';

// An SSH reverse tunnel for Kamal 2.8's local registry: the server's `localhost:<port>` leads to
// `127.0.0.1:<port>` on this machine, where the registry container publishes its port. As Kamal
// does, the tunnel has its own SSH connection, open while the servers pull.

export interface ReverseTunnel {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function openClient(settings: SshSettings, target: { host: string; port: number; user: string; sock?: ConnectConfig['sock'] }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = newSshClient();
    client.once('ready', () => {
      client.off('error', reject);
      client.on('error', () => client.end());
      resolve(client);
    });
    client.once('error', (error) => reject(new RemoteError(`[${target.host}] tunnel: ${error.message}`, 'transient', target.host)));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      sock: target.sock,
      authHandler: authHandler(settings, target.user),
      keepaliveInterval: (settings.keepaliveSeconds ?? 30) * 1000,
      readyTimeout: (settings.connectTimeoutSeconds ?? 20) * 1000,
    });
  });
}

async function connectTo(settings: SshSettings, host: string): Promise<{ client: Client; end: () => void }> {
  if (!settings.proxy) {
    const client = await openClient(settings, { host, port: settings.port, user: settings.user });
    return { client, end: () => client.end() };
  }
  const bastion = parseProxy(settings.proxy);
  const jump = await openClient(settings, { host: bastion.host, port: bastion.port, user: bastion.user });
  try {
    const sock = await new Promise<ConnectConfig['sock']>((resolve, reject) =>
      jump.forwardOut('127.0.0.1', 0, host, settings.port, (error, stream) => (error ? reject(error) : resolve(stream))),
    );
    const client = await openClient(settings, { host, port: settings.port, user: settings.user, sock });
    return { client, end: () => (client.end(), jump.end()) };
  } catch (error) {
    jump.end();
    throw error;
  }
}

/** Asks `host`'s sshd to listen on its `localhost:<port>` and carries each connection to `127.0.0.1:<localPort>` here. */
export async function openReverseTunnel(settings: SshSettings, host: string, port: number, localPort: number = port): Promise<ReverseTunnel> {
  const { client, end } = await connectTo(settings, host);
  client.on('tcp connection', (_info, accept, reject) => {
    const local = tcpConnect(localPort, '127.0.0.1');
    local.once('error', () => reject());
    local.once('connect', () => {
      const channel = accept();
      channel.pipe(local).pipe(channel);
      const done = () => {
        local.destroy();
        channel.destroy();
      };
      channel.once('close', done);
      local.once('close', done);
      channel.on('error', done);
      local.on('error', done);
    });
  });
  try {
    await new Promise<void>((resolve, reject) =>
      client.forwardIn('localhost', port, (error) =>
        error ? reject(new RemoteError(`[${host}] could not listen on localhost:${port} for the local registry: ${error.message}`, 'transient', host)) : resolve(),
      ),
    );
  } catch (error) {
    end();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        client.unforwardIn('localhost', port, () => {
          end();
          resolve();
        });
        // A connection that is already gone cannot answer the cancel.
        setTimeout(() => {
          end();
          resolve();
        }, 2000).unref();
      })),
  };
}
