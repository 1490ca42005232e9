// Public API of @quorumkit/paxoskv.
export * from './core/index.js';
