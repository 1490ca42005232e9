// Public API of @quorumkit/csp-paxos.
export { Channel, ChannelClosedError, CHANNEL_DEFAULTS, select, type RecvResult, type SelectResult, type SendResult } from './csp/channel.js';
export { Acceptor, applyRecord, replayAcceptor, type AcceptorState } from './core/acceptor.js';
export { Recovery, type RecoveryResult } from './core/recovery.js';
export { judgeDisk, type DiskFacts, type IdentityState, type Verdict } from './core/identity.js';
export { IDENTITY_FILE, IdentityMismatch, nextIncarnation, readIdentity, writeIdentity, type IdentityRecord } from './storage/identity.js';
export { Learner } from './core/learner.js';
export { Proposer } from './core/proposer.js';
export { Router } from './core/router.js';
export { CoreNode, type NodeIO, type Restored } from './core/node.js';
export { checkLogs, parseInstanceLog, COMMIT_RE, GENERATE_RE, type CheckOptions, type CheckResult, type ParsedLog } from './core/check.js';
export * from './core/types.js';
export { NodeConnection, propose, nodeStatus, ProposeError, RequestTimeoutError, CLIENT_DEFAULTS, type CommittedEntry } from './client/client.js';
export { CspPaxosNode, instanceKey, NODE_DEFAULTS, READ_ENTRIES_MAX, type NodeOptions, type NodeStatus } from './server/node.js';
export { runCluster, type RunOptions, type RunResult } from './server/runner.js';
export { parseFaults, blockedPeers, type FaultEvent } from './server/faults.js';
export { ConfigError, defaultCommittee, committeeFromPorts, parseDurationMs, DEFAULT_BASE_PORT, PORT_STRIDE, type Member } from './server/config.js';
export { AcceptorLog, AcceptorLogError, AcceptorLogStalled, parseAcceptorLog, scanAcceptorLog, type OpenedAcceptorLog, type ScanResult } from './storage/acceptorLog.js';
export { checkDir, readLogs } from './cli/checkDir.js';
