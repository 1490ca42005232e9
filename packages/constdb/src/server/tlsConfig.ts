// The config's tls_* keys (or --tls-* flags) into one TlsReloader, checked as every other
// quorumkit server checks them: flags that do not go together are ETLSCONFIG, a file that is
// unreadable, not PEM, or a key not matching its certificate is ETLSFILE.
import { TlsReloader, tlsFilesFromOptions, type TlsLogger } from '@quorumkit/shared-transport';
import type { ConstdbConfig } from './config.js';

/** undefined when no TLS key is set (plaintext); throws TlsConfigError / TlsFileError. */
export function tlsFromConfig(cfg: ConstdbConfig, logger?: TlsLogger): TlsReloader | undefined {
  const files = tlsFilesFromOptions(
    { tlsCert: cfg.tlsCert, tlsKey: cfg.tlsKey, tlsCa: cfg.tlsCa, tlsClientAuth: cfg.tlsClientAuth },
    'server',
  );
  return files && new TlsReloader(files, logger ? { logger } : {});
}
