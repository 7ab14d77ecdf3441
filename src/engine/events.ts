import { EventEmitter } from 'eventemitter3';

// Everything a run tells the outside world: renderers, the run store and the inspector all read
// these. Payloads are plain data; text fields are redacted before they are emitted.
export interface EngineEvents {
  'run.started': { runId: string; command: string; version: string; hosts: string[]; at: number };
  'run.finished': { runId: string; ok: boolean; failures: Array<{ host?: string; role?: string; stage: string; message: string }>; durationMs: number; at: number };
  // The deployment's stages, exactly the plan's, in order.
  'stage.started': { stage: string; at: number };
  'stage.finished': { stage: string; ok: boolean; at: number };
  // Each host's share: the server stages the plan gives it, and its boot.
  'host.stage.started': { host: string; stage: string; at: number };
  'host.stage.finished': { host: string; stage: string; ok: boolean; at: number };
  // What a host is doing now (a stage, `boot.<role>.<step>`, or `idle`), for live views.
  'host.state': { host: string; state: string; attempt: number; at: number };
  'retry': { host: string; step: string; attempt: number; delayMs: number; reason?: string; at: number };
  'rollback': { host: string; role: string; reason: string; at: number };
  'rollback.finished': { host: string; role: string; ok: boolean; at: number };
  'barrier.opened': { host: string; at: number };
  'barrier.closed': { host: string; at: number };
  'lock.acquired': { host: string; at: number };
  'lock.released': { host: string; at: number };
  'command.start': { id: number; host: string; line: string; at: number };
  'command.output': { id: number; host: string; stream: 'stdout' | 'stderr'; text: string };
  'command.end': { id: number; host: string; exitCode: number; durationMs: number };
  'hook': { name: string; hosts: string[]; at: number };
  'log': { level: 'info' | 'warn' | 'error'; host?: string; message: string; at: number };
}

export type EngineEventName = keyof EngineEvents;
export type EngineEvent = { [K in EngineEventName]: { type: K } & EngineEvents[K] }[EngineEventName];

export class EngineBus {
  private readonly emitter = new EventEmitter();
  private readonly redact: (text: string) => string;

  constructor(redact: (text: string) => string = (t) => t) {
    this.redact = redact;
  }

  emit<K extends EngineEventName>(type: K, payload: EngineEvents[K]): void {
    const event = redactStrings({ type, ...payload }, this.redact) as unknown as EngineEvent;
    this.emitter.emit(type, event);
    this.emitter.emit('*', event);
  }

  on<K extends EngineEventName>(type: K, listener: (event: { type: K } & EngineEvents[K]) => void): () => void {
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  onAny(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }
}

export function redactStrings<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact)) as T;
  // A plain loop: this runs for every event and log line, and entries/fromEntries cost more.
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) out[key] = redactStrings((value as Record<string, unknown>)[key], redact);
  }
  return out as T;
}
