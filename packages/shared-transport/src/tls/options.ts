// The four TLS flags every quorumkit CLI takes, and their validation into TlsFiles.
import { TlsConfigError } from '../errors.js';
import { loadTlsMaterial, type TlsFiles } from './material.js';

/** The flags, for `--help` and for CLIs that do not use commander. */
export const tlsOptionSpecs = [
  { flags: '--tls-cert <file>', description: 'PEM certificate to serve TLS with (and to present to peers); with --tls-key' },
  { flags: '--tls-key <file>', description: 'PEM private key of --tls-cert (unencrypted)' },
  { flags: '--tls-ca <file>', description: 'PEM CA bundle that signs the peers: checks servers, and clients with --tls-client-auth' },
  { flags: '--tls-client-auth', description: 'mutual TLS: refuse a client or peer without a certificate signed by --tls-ca' },
] as const;

/** The values commander gives for the flags above (camel-cased). */
export interface TlsOptionValues {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientAuth?: boolean;
}

/** Anything with commander's `option(flags, description)`. */
export interface OptionTarget {
  option(flags: string, description: string): unknown;
}

/** Adds --tls-cert, --tls-key, --tls-ca, --tls-client-auth to a commander Command. */
export function addTlsOptions<T extends OptionTarget>(cmd: T, specs: readonly { flags: string; description: string }[] = tlsOptionSpecs): T {
  for (const s of specs) cmd.option(s.flags, s.description);
  return cmd;
}

/**
 * 'server': a process that listens (and usually dials its peers with the same files): TLS
 * needs --tls-cert and --tls-key. 'client': a process that only dials: --tls-ca alone is
 * enough, --tls-client-auth is refused (it is a server's choice).
 */
export type TlsRole = 'server' | 'client';

/**
 * Validates the flags: returns undefined when none is given (plaintext), else TlsFiles whose
 * files were all read and checked. Throws TlsConfigError (flags that do not go together) or
 * TlsFileError (unreadable file, not PEM, key not matching the certificate).
 */
export function tlsFilesFromOptions(values: TlsOptionValues, role: TlsRole = 'server'): TlsFiles | undefined {
  const { tlsCert, tlsKey, tlsCa } = values;
  const clientAuth = values.tlsClientAuth === true;
  if (tlsCert === undefined && tlsKey === undefined && tlsCa === undefined && !clientAuth) return undefined;
  if (tlsKey !== undefined && tlsCert === undefined) throw new TlsConfigError('--tls-key needs --tls-cert');
  if (tlsCert !== undefined && tlsKey === undefined) throw new TlsConfigError('--tls-cert needs --tls-key');
  if (clientAuth && tlsCa === undefined) throw new TlsConfigError('--tls-client-auth needs --tls-ca (the CA that signs the peers\' certificates)');
  if (role === 'server' && tlsCert === undefined) {
    throw new TlsConfigError('--tls-ca was given without --tls-cert and --tls-key: a server needs both to serve TLS');
  }
  if (role === 'client' && clientAuth) throw new TlsConfigError('--tls-client-auth is a server flag; a client presents --tls-cert/--tls-key when the server asks');
  const files: TlsFiles = {
    ...(tlsCert !== undefined ? { cert: tlsCert, key: tlsKey } : {}),
    ...(tlsCa !== undefined ? { ca: tlsCa } : {}),
    ...(clientAuth ? { requireClientCert: true } : {}),
  };
  loadTlsMaterial(files);
  return files;
}
