// Public API of @quorumkit/paxoskv.
export * from './core/index.js';
export { NotEnoughQuorum, NotEnoughQuorumError, BadRequestError, ClusterViewError, RecoveringError, PaxosDeadlineError, NoQuorumReachableError, UsageError, ListenError, LimitError } from './errors.js';
export { PROTO_PATH, SERVICE_NAME, ACCEPTOR_BASE_PORT, defaultAcceptorAddress } from './wire/protoPath.js';
export { AcceptorStore, acceptorStoreDefaults, type AcceptorStoreOptions, type InstanceId } from './storage/acceptorStore.js';
export { startAcceptor, acceptorServerDefaults, type AcceptorServer, type AcceptorServerOptions } from './server/acceptorServer.js';
export { serveAcceptors, type ServeAcceptorsOptions } from './server/serveAcceptors.js';
export { AcceptorLink, LinkTransport, acceptorLinkDefaults, type AcceptorLinkOptions } from './client/acceptorLink.js';
export { Proposer, paxosTimingDefaults, type AcceptorTransport, type PaxosTiming } from './client/proposer.js';
export {
  PaxosKvClient,
  toPaxosValue,
  fromPaxosValue,
  type KvClientOptions,
  type KvResult,
  type KvValue,
  type SetResult,
} from './client/kvClient.js';
