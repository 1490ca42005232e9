// Public API of @quorumkit/rrseq.
export { RRServer, RR_SERVER_DEFAULTS, type RRServerOptions } from './server/rrServer.js';
export { RRSeq, RR_SEQ_DEFAULTS, type RRSeqOptions, type RRSeqError, type NextOptions } from './client/rrSeq.js';
export { SimpleBufSeq } from './client/simpleBufSeq.js';
export { NotReadyError, InvalidArgumentError, RangeUnavailableError, RangeRegressionError, MembershipError, NextTimeoutError, NextAbortedError } from './errors.js';
export { rrSeqProtoPath } from './protoPath.js';
export { normalizeAddr } from './server/wire.js';
export { canonicalAddr, membershipHash, membershipProblem } from './core/membership.js';
export { clampBufSize } from './core/rangeBuffer.js';
export { DEFAULT_COORDINATOR_CONFIG, DEFAULT_RECOVERY_CONFIG, type CoordinatorConfig, type RecoveryConfig } from './core/config.js';
