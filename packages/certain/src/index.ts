// Public API of @quorumkit/certain.
export { Certain, type CertainOptions } from './engine/certain.js';
export { createCertain, type CreateCertainOptions } from './createCertain.js';
export { defaultTuning, type CertainTuning } from './engine/options.js';
export { LevelPlog, type Plog, type EntityLogState } from './storage/plog.js';
export { LevelDb, type Db, type CommitEntry, type DbSnapshot, type SnapshotPage, type EntityTx, type ApplyFn } from './storage/db.js';
export {
  GrpcTransport, grpcTransport, grpcTransportWith, staticRoute, type TransportFactory, type Route, type Transport, type TransportHandlers, type GetAllPageReq, type GetAllPageRsp,
} from './server/transport.js';
export {
  TurnError, ConflictError, DupUuidError, PendingError, BusyError, CmdTimeoutError, StoppedError, BadConfigError, ValueTooLargeError,
  RecoveringError, LearnOnlyError, DisabledError, TooManyUuidsError, OverloadedError,
} from './errors.js';
export {
  EntryMachine, EntityCore, EntryState, CmdResult, emptyRecord, nextBallot, preAuthBallot, ballotOwner, majority,
  type EntryRecord, type PaxosCmd, type PeerMsg, type ProposalValue, type ReplicaConfig, type Effects,
} from './core/index.js';
export { CardClient, CardUnavailableError, type CardReply, type CardMethod, type CardRequestInput } from './client/cardClient.js';
export { startCardServer, type RunningCardServer } from './server/cardServer.js';
export { CardService, CardTooLargeError, applyCardValue } from './server/cardService.js';
export { parseConfig, validateConfig, cardAddress, configDefaults, type CardServerConfig } from './server/config.js';
export { CARD_CODE_TRAILER, CARD_SERVICE, RETRY_AFTER_TRAILER } from './server/cardGrpc.js';
export { InflightGate, InflightLimitError, inflightGateDefaults, type InflightGateOptions } from './server/inflightGate.js';
export { evaluateCardOps, cardEntity, CardCode, cardCodeMessage, type Card, type CardOp, type CardResult } from './core/card.js';
export { RecoveryMode, loadVoting, type VotingRecord } from './engine/recoveryMode.js';
