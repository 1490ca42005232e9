// Public API of @quorumkit/shared-transport.
export {
  QuorumkitError,
  QuorumError,
  DeadlineError,
  CancelledError,
  UnavailableError,
  RemoteError,
  Int64Error,
  ProtoError,
  TlsConfigError,
  TlsFileError,
  type QuorumOutcome,
} from './errors.js';
export { backoffDelayMs, backoffDefaults, type BackoffOptions } from './core/backoff.js';
export { toBigInt, int64ToWire, uint64ToWire, INT64_MIN, INT64_MAX, UINT64_MAX, type LongLike } from './core/int64.js';
export { loadProto, loadPackageDefinition, lookupService, protoLoaderOptions } from './server/protoLoader.js';
export {
  createGrpcServer,
  grpcServerDefaults,
  type GrpcServer,
  type GrpcServerOptions,
  type ServiceSpec,
  type UnaryHandler,
  type HandlerContext,
  type StreamWriter,
  type ServerStreamHandler,
  type BidiStreamHandler,
  type ClientStreamHandler,
} from './server/grpcServer.js';
export { CODE_METADATA_KEY } from './server/statusMapping.js';
export { createGrpcClient, callUnary, grpcClientDefaults, type GrpcClientOptions, type CallOptions } from './client/grpcClient.js';
export { quorumCall, type QuorumCallOptions } from './client/quorumCall.js';
export { sleep } from './client/sleep.js';
export { withRetry, retryDefaults, type RetryOptions } from './client/retry.js';
export {
  tlsOptionSpecs,
  addTlsOptions,
  tlsFilesFromOptions,
  loadTlsMaterial,
  TlsReloader,
  serverCredentials,
  channelCredentials,
  tlsChannelOptions,
  createSocketServer,
  connectSocket,
  socketServerDefaults,
  type TlsFiles,
  type TlsMaterial,
  type TlsOptionValues,
  type OptionTarget,
  type TlsRole,
  type TlsLogger,
  type TlsReloadResult,
  type TlsReloaderOptions,
  type SocketServerOptions,
  type ConnectSocketOptions,
} from './tls.js';
export { BatchQueue, type BatchLimits, type EnqueueResult } from './core/batchQueue.js';
export { jsonCodec, bytesCodec, type Codec } from './peerlink/codec.js';
export {
  PeerLink,
  peerLinkDefaults,
  peerLinkProtoPath,
  PEERLINK_SERVICE,
  MessageTooLargeError,
  type PeerLinkOptions,
  type PeerLinkStats,
} from './peerlink/peerLink.js';
export {
  peerLinkService,
  peerLinkReceiverDefaults,
  type PeerLinkReceiverOptions,
  type PeerLinkReceiverStats,
} from './peerlink/receiver.js';
export { FrameDecoder, FrameError, FRAME_BYTES_MAX, encodeFrame, encodeJsonFrame } from './framed/frames.js';
export { MetricsAddressError, SECONDS_BUCKETS, collectProcessMetrics, parseMetricsAddress, serveMetrics, type MetricsServer } from './metrics/metricsServer.js';
