// Raw-TCP links (framed peer links, RESP) with or without TLS behind one call each, so a
// package switches on TLS by passing a TlsReloader and changes nothing else.
import { connect as netConnect, createServer as netCreateServer, isIP, type Server, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, createServer as tlsCreateServer, type TLSSocket } from 'node:tls';
import { TlsConfigError } from '../errors.js';
import type { TlsReloader } from './reloader.js';

export interface SocketServerOptions {
  /**
   * A TLS handshake failed (a peer without a certificate, one signed by another CA, a
   * plaintext client...). The socket is already destroyed; this is for logs and counters.
   */
  onTlsError?: (err: Error, remoteAddress: string | undefined) => void;
  /** a TLS handshake not done after this long is cut (default 10 s; Node's own is 120 s) */
  handshakeTimeoutMs?: number;
}

export const socketServerDefaults = { handshakeTimeoutMs: 10_000 } as const;

/**
 * A net.Server (plaintext) or a tls.Server (with `tls`) that calls `onConnection` with each
 * connection ready for data: for TLS, after the handshake and, with requireClientCert, only
 * for peers whose certificate is signed by the CA. Reloads apply to new connections.
 */
export function createSocketServer(
  tls: TlsReloader | undefined,
  onConnection: (socket: Socket) => void,
  opts: SocketServerOptions = {},
): Server {
  if (!tls) return netCreateServer(onConnection);
  const m = tls.current;
  if (!m.cert) throw new TlsConfigError('a TLS server needs a certificate and its key (--tls-cert, --tls-key)');
  const server = tlsCreateServer(
    {
      ...m.contextOptions,
      requestCert: tls.requireClientCert,
      rejectUnauthorized: tls.requireClientCert,
      handshakeTimeout: opts.handshakeTimeoutMs ?? socketServerDefaults.handshakeTimeoutMs,
    },
    onConnection,
  );
  server.on('tlsClientError', (err, socket) => opts.onTlsError?.(err, socket.remoteAddress));
  tls.attach(server);
  return server;
}

export interface ConnectSocketOptions {
  host: string;
  port: number;
  tls?: TlsReloader;
  /** name checked against the server certificate instead of `host` (default: tls.files.serverName) */
  serverName?: string;
}

/**
 * Dials host:port, plaintext or TLS. `onReady` runs once the connection can carry data
 * (TCP 'connect', or 'secureConnect' after the server's certificate was checked against the
 * CA and the name). Errors arrive as the socket's 'error' event, as with net.connect.
 */
export function connectSocket(opts: ConnectSocketOptions, onReady?: () => void): Socket {
  if (!opts.tls) {
    const s = netConnect({ host: opts.host, port: opts.port });
    if (onReady) s.once('connect', onReady);
    return s;
  }
  const serverName = opts.serverName ?? opts.tls.files.serverName;
  const name = serverName ?? opts.host;
  const s: TLSSocket = tlsConnect({
    host: opts.host,
    port: opts.port,
    secureContext: opts.tls.current.clientContext,
    // SNI carries host names only; an address is checked against the certificate's IP SANs.
    ...(isIP(name) ? {} : { servername: name }),
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
  });
  if (onReady) s.once('secureConnect', onReady);
  return s;
}
