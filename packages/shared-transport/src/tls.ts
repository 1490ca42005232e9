// TLS / mTLS credentials from PEM file paths.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * PEM files. Server: `cert` + `key` required; `ca` + `requireClientCert` for mTLS.
 * Client: `ca` to trust the server (system roots if absent); `cert` + `key` for mTLS;
 * `serverName` overrides the name checked against the server certificate.
 */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  requireClientCert?: boolean;
  serverName?: string;
}

export function serverCredentials(tls?: TlsFiles): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  if (!tls.cert || !tls.key) throw new TypeError('server TLS needs cert and key file paths');
  const ca = tls.ca ? readFileSync(tls.ca) : null;
  if (tls.requireClientCert && !ca) throw new TypeError('requireClientCert needs a ca file path');
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: readFileSync(tls.cert), private_key: readFileSync(tls.key) }],
    tls.requireClientCert ?? false,
  );
}

export function channelCredentials(tls?: TlsFiles): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError('client TLS needs both cert and key (or neither)');
  }
  return grpc.credentials.createSsl(
    tls.ca ? readFileSync(tls.ca) : null,
    tls.key ? readFileSync(tls.key) : null,
    tls.cert ? readFileSync(tls.cert) : null,
  );
}

export function tlsChannelOptions(tls?: TlsFiles): grpc.ChannelOptions {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
}
