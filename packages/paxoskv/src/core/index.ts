export * from './ballot.js';
export * from './acceptor.js';
export * from './proposer.js';
export * from './kv.js';
export * from './view.js';
export * from './recover.js';
export * from './fence.js';
export * from './keyPromise.js';
