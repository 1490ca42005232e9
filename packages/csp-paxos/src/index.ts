// Public API of @quorumkit/csp-paxos.
export { Channel, ChannelClosedError, CHANNEL_DEFAULTS, select, type RecvResult, type SelectResult, type SendResult } from './csp/channel.js';
export { Acceptor, replayAcceptor, type AcceptorState } from './core/acceptor.js';
export { Learner } from './core/learner.js';
export { Proposer } from './core/proposer.js';
export { Router } from './core/router.js';
export { CoreNode, type NodeIO, type Restored } from './core/node.js';
export { checkLogs, parseInstanceLog, COMMIT_RE, GENERATE_RE, type CheckResult, type ParsedLog } from './core/check.js';
export * from './core/types.js';
