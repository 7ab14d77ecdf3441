import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { UserError } from '../errors.ts';

// `--inspect`: the run's actors (the deployment, each host, each role swap) seen live in the
// Stately inspector. Events go, as @statelyai/inspect's WebSocket inspector sends them, to a
// WebSocket endpoint: by default the local one that `createInspectorServer` from
// @statelyai/inspect/server opens and relays to the inspector in a browser. Everything leaves the
// process as plain, redacted data (no clients, no functions, no secret values). An inspector that
// cannot be reached costs a warning, never the deploy.

export const DEFAULT_INSPECTOR_URL = 'ws://localhost:8080';

export interface InspectorOptions {
  redact: (text: string) => string;
  warn: (message: string) => void;
  // How long to wait for the connection before the run starts without it.
  connectTimeoutMs?: number;
}

export interface RunInspector {
  // For the actor's `inspect` option.
  inspect: (event: InspectionEvent) => void;
  // Sends what is still queued, then closes the connection.
  close(): Promise<void>;
}

const MAX_DEPTH = 12;

// JSON-safe plain data: snapshots and actor refs by their toJSON (a child actor becomes its id),
// errors by their message, strings redacted; functions, class instances and anything deeper than
// MAX_DEPTH are left out.
export function sanitize(value: unknown, redact: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (value instanceof Error) return { message: redact(value.message) };
  if (Array.isArray(value)) return value.map((item) => sanitize(item, redact, depth + 1) ?? null);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sanitize(toJSON.call(value), redact, depth + 1);
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const clean = sanitize(item, redact, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}

export function inspectorUrl(value: true | string): string {
  if (value === true) return DEFAULT_INSPECTOR_URL;
  if (!/^wss?:\/\/[^\s/]+/.test(value)) {
    throw new UserError(`--inspect takes the inspector's WebSocket URL (ws://host:port or wss://…), got '${value}'`);
  }
  return value;
}

export async function connectInspector(url: string, options: InspectorOptions): Promise<RunInspector> {
  const { redact, warn } = options;
  // Loaded only for --inspect: a run without it does not carry the inspector and ws.
  const [{ createInspector }, { default: WebSocket }] = await Promise.all([import('@statelyai/inspect'), import('ws')]);
  const socket = new WebSocket(url);
  let open = false;
  let broken = false;
  let closing = false;
  let sending = 0;
  let drained: (() => void) | undefined;
  const fail = (why: string) => {
    if (broken) return;
    broken = true;
    warn(`The Stately inspector at ${url} ${why}; the run goes on without it`);
    drained?.();
  };
  socket.on('error', (error) => fail(open ? `failed (${error.message})` : `could not be reached (${error.message})`));
  socket.on('close', () => {
    if (open && !closing) fail('closed the connection');
    open = false;
    drained?.();
  });

  const connected = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.connectTimeoutMs ?? 3000);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (connected) open = true;
  else {
    fail(broken ? 'could not be reached' : 'did not answer');
    socket.terminate();
  }

  const inspector = createInspector(
    {
      send(event: StatelyInspectionEvent) {
        if (!open || broken) return;
        sending++;
        socket.send(JSON.stringify(event), () => {
          sending--;
          if (sending === 0) drained?.();
        });
      },
    },
    {
      // The whole event, once more after the context: the actor's definition, its input and
      // output, the events it received.
      sanitizeContext: (context) => sanitize(context, redact) as Record<string, unknown>,
      sanitizeEvent: (event) => sanitize(event, redact) as { type: string },
      serialize: (event) => sanitize(event, redact) as StatelyInspectionEvent,
    },
  );

  return {
    inspect: (event) => {
      if (open && !broken) inspector.inspect.next?.(event);
    },
    close: async () => {
      if (!open || broken) return;
      // The inspector converts each event on a zero timeout of its own; those come first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (sending > 0) await new Promise<void>((resolve) => (drained = resolve));
      if (!open) return;
      closing = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.close();
      });
    },
  };
}
