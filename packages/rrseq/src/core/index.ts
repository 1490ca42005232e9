// The pure protocol core (no I/O, no timers): used by the server shell and the simulator.
export * from './types.js';
export * from './config.js';
export * from './replica.js';
export * from './coordinator.js';
export * from './recovery.js';
export * from './engine.js';
export * from './rangeBuffer.js';
export * from './membership.js';
export * from './bootstrap.js';
