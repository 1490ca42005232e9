// TLS for every quorumkit link: the four CLI flags, checked file loading, reload on SIGHUP,
// gRPC credentials and raw-TCP sockets (see docs/tls.md).
export { loadTlsMaterial, checkTlsCombination, type TlsFiles, type TlsMaterial } from './tls/material.js';
export {
  tlsOptionSpecs,
  addTlsOptions,
  tlsFilesFromOptions,
  type TlsOptionValues,
  type OptionTarget,
  type TlsRole,
} from './tls/options.js';
export { TlsReloader, type TlsLogger, type TlsReloadResult, type TlsReloaderOptions } from './tls/reloader.js';
export { serverCredentials, channelCredentials, tlsChannelOptions, toReloader } from './tls/grpcCredentials.js';
export { createSocketServer, connectSocket, socketServerDefaults, type SocketServerOptions, type ConnectSocketOptions } from './tls/sockets.js';
