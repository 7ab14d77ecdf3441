// Per-host operations behind `sextant app|proxy|lock|registry|prune|accessory|server|build|audit|
// details`, built from the engine's steps and the pure command builders, with Kamal's lock and
// pre-connect rules (runtime.ts).
export * from './runtime.ts';
export * from './app.ts';
export * from './proxy.ts';
export * from './lock.ts';
export * from './registry.ts';
export * from './prune.ts';
export * from './accessory.ts';
export * from './server.ts';
export * from './build.ts';
export * from './main.ts';
export * from './terminal.ts';
