// gRPC credentials from TlsFiles or a TlsReloader. Reloads reach grpc-js through its
// certificate-provider credentials (grpc.experimental, grpc-js >= 1.10): the provider below
// hands grpc-js each new set, grpc-js calls setSecureContext on its servers and uses the set
// for every new client connection.
import * as grpc from '@grpc/grpc-js';
import { TlsConfigError } from '../errors.js';
import type { TlsFiles, TlsMaterial } from './material.js';
import { TlsReloader } from './reloader.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** A grpc-js CertificateProvider fed by a TlsReloader (SIGHUP) instead of polling files. */
class ReloaderCertificateProvider implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly reloader: TlsReloader) {}

  private static ca(m: TlsMaterial): grpc.experimental.CaCertificateUpdate | null {
    return m.ca ? { caCertificate: m.ca } : null;
  }

  private static identity(m: TlsMaterial): grpc.experimental.IdentityCertificateUpdate | null {
    return m.cert && m.key ? { certificate: m.cert, privateKey: m.key } : null;
  }

  private subscribe(): void {
    this.unsubscribe ??= this.reloader.onChange((m) => {
      for (const l of this.caListeners) l(ReloaderCertificateProvider.ca(m));
      for (const l of this.identityListeners) l(ReloaderCertificateProvider.identity(m));
    });
  }

  private maybeUnsubscribe(): void {
    if (this.caListeners.size === 0 && this.identityListeners.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  // The first update is delivered on the next tick, as grpc-js's own FileWatcher provider
  // does: grpc-js registers its server watcher only after adding these listeners, and an
  // update delivered synchronously would reach no watcher.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.subscribe();
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(ReloaderCertificateProvider.ca(this.reloader.current));
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
    this.maybeUnsubscribe();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.subscribe();
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(ReloaderCertificateProvider.identity(this.reloader.current));
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
    this.maybeUnsubscribe();
  }
}

const providers = new WeakMap<TlsReloader, ReloaderCertificateProvider>();

function providerFor(r: TlsReloader): ReloaderCertificateProvider {
  let p = providers.get(r);
  if (!p) {
    p = new ReloaderCertificateProvider(r);
    providers.set(r, p);
  }
  return p;
}

/** Static files are loaded (and checked) once; a reloader is used as is. */
export function toReloader(tls: TlsFiles | TlsReloader): TlsReloader {
  return tls instanceof TlsReloader ? tls : new TlsReloader(tls);
}

/** Server credentials: insecure without `tls`; TLS, or mTLS with requireClientCert. */
export function serverCredentials(tls?: TlsFiles | TlsReloader): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const r = toReloader(tls);
  if (!r.current.cert) throw new TlsConfigError('a TLS server needs a certificate and its key (--tls-cert, --tls-key)');
  const p = providerFor(r);
  // grpc-js 1.14's createCertificateProviderServerCredentials passes its first two arguments
  // to the constructor in (identity, ca) order, whatever their names say. Passing the same
  // provider for both when there is a CA, and (provider, null) when there is none, is right
  // under either order for the CA case and right for the shipped order otherwise; the tests
  // (TLS without a CA, mTLS with one) fail if a grpc-js upgrade changes that.
  return r.requireClientCert
    ? grpc.experimental.createCertificateProviderServerCredentials(p, p, true)
    : grpc.experimental.createCertificateProviderServerCredentials(p, null, false);
}

/**
 * Channel credentials: insecure without `tls`. With a CA the server is checked against it and
 * reloads apply to new connections; without one the system roots are used and the files are
 * read once (grpc-js's reloadable channel credentials need a CA).
 */
export function channelCredentials(tls?: TlsFiles | TlsReloader): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const r = toReloader(tls);
  const m = r.current;
  if (m.ca) {
    const p = providerFor(r);
    return grpc.experimental.createCertificateProviderChannelCredentials(p, m.cert ? p : null);
  }
  return grpc.credentials.createSsl(null, m.key ?? null, m.cert ?? null);
}

export function tlsChannelOptions(tls?: TlsFiles | TlsReloader): grpc.ChannelOptions {
  const serverName = tls instanceof TlsReloader ? tls.files.serverName : tls?.serverName;
  return serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {};
}
