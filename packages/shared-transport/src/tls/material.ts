// Reads and checks TLS files: every file readable, PEM that parses, the key matching the
// certificate. Nothing half-loaded is ever returned, so a bad reload can keep the old set.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { TlsConfigError, TlsFileError } from '../errors.js';

/**
 * PEM file paths. A server needs `cert` + `key`; `ca` + `requireClientCert` make it mutual
 * TLS (a peer without a certificate signed by `ca` is refused). A client uses `ca` to check
 * the server (the system roots when absent) and presents `cert` + `key` when it has them.
 * `serverName` is the name checked against the server's certificate instead of the address.
 */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  requireClientCert?: boolean;
  serverName?: string;
}

/** What was loaded from TlsFiles, ready for node:tls and grpc-js. */
export interface TlsMaterial {
  files: TlsFiles;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** the own certificate's serial (upper-case hex) and expiry, for logs */
  serial?: string;
  notAfter?: string;
  subject?: string;
  /** CA certificates found in the `ca` file */
  caCount: number;
  /** for tls.createServer / setSecureContext */
  contextOptions: SecureContextOptions;
  /** for tls.connect: own identity (if any) and trusted CAs */
  clientContext: SecureContext;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function read(path: string, what: string): Buffer {
  if (path === '') throw new TlsFileError(`${what}: the path is empty`, path);
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new TlsFileError(`${what} ${path} cannot be read (${code})`, path);
  }
}

function parseCert(buf: Buffer, path: string, what: string): X509Certificate {
  const first = buf.toString('latin1').match(PEM_CERT)?.[0];
  if (!first) throw new TlsFileError(`${what} ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, path);
  try {
    return new X509Certificate(first);
  } catch (e) {
    throw new TlsFileError(`${what} ${path}: the certificate does not parse (${(e as Error).message})`, path);
  }
}

function parseCaBundle(buf: Buffer, path: string): number {
  const blocks = buf.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new TlsFileError(`CA file ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, path);
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw new TlsFileError(`CA file ${path}: certificate ${i + 1} does not parse (${(e as Error).message})`, path);
    }
  }
  return blocks.length;
}

function parseKey(buf: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(buf);
  } catch (e) {
    // Encrypted keys land here too: servers start unattended, so no passphrase is asked.
    throw new TlsFileError(`key file ${path} is not an unencrypted PEM private key (${(e as Error).message})`, path);
  }
}

/** Checks the combination of files, whatever their content. */
export function checkTlsCombination(files: TlsFiles): void {
  if (files.key !== undefined && files.cert === undefined) throw new TlsConfigError('a TLS key was given without its certificate (--tls-key needs --tls-cert)');
  if (files.cert !== undefined && files.key === undefined) throw new TlsConfigError('a TLS certificate was given without its key (--tls-cert needs --tls-key)');
  if (files.requireClientCert && files.ca === undefined) {
    throw new TlsConfigError('client certificate auth needs the CA that signs the peers (--tls-client-auth needs --tls-ca)');
  }
}

/** Reads and checks every file of `files`; throws TlsConfigError / TlsFileError. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  checkTlsCombination(files);
  const m: TlsMaterial = { files: { ...files }, caCount: 0, contextOptions: {}, clientContext: undefined as never };
  if (files.ca !== undefined) {
    m.ca = read(files.ca, 'CA file');
    m.caCount = parseCaBundle(m.ca, files.ca);
  }
  if (files.cert !== undefined && files.key !== undefined) {
    m.cert = read(files.cert, 'certificate file');
    m.key = read(files.key, 'key file');
    const x509 = parseCert(m.cert, files.cert, 'certificate file');
    const key = parseKey(m.key, files.key);
    if (!x509.checkPrivateKey(key)) {
      throw new TlsFileError(`key file ${files.key} does not belong to certificate ${files.cert}`, files.key);
    }
    m.serial = x509.serialNumber;
    m.notAfter = x509.validTo;
    m.subject = x509.subject.replace(/\n/g, ', ');
  }
  m.contextOptions = { ...(m.ca ? { ca: m.ca } : {}), ...(m.cert ? { cert: m.cert, key: m.key } : {}) };
  try {
    m.clientContext = createSecureContext(m.contextOptions);
  } catch (e) {
    // Parsed above, so this is OpenSSL refusing the set (e.g. a key type it does not support).
    throw new TlsFileError(`TLS files refused by OpenSSL: ${(e as Error).message}`, files.cert ?? files.ca ?? '');
  }
  return m;
}
