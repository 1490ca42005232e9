// Holds the TLS material of a process and swaps it on reload (SIGHUP): the files are re-read
// and checked first, and only a complete, valid set replaces the old one. Connections already
// open keep the certificate they were made with; new ones get the new set.
import type { Server as TlsServer } from 'node:tls';
import { loadTlsMaterial, type TlsFiles, type TlsMaterial } from './material.js';

/** pino's (obj, msg) shape, so a pino logger can be passed as is. */
export interface TlsLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type TlsReloadResult = { ok: true; material: TlsMaterial } | { ok: false; error: Error };

const stderrLogger: TlsLogger = {
  info: (obj, msg) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`${msg} ${JSON.stringify(obj)}\n`),
};

export interface TlsReloaderOptions {
  /** where reloads are reported (default: one line on stderr) */
  logger?: TlsLogger;
}

function describe(m: TlsMaterial): object {
  return { cert: m.files.cert, serial: m.serial, notAfter: m.notAfter, ca: m.files.ca, caCerts: m.caCount };
}

export class TlsReloader {
  private material: TlsMaterial;
  private readonly listeners = new Set<(m: TlsMaterial) => void>();
  private readonly logger: TlsLogger;

  /** Loads `files` now; throws TlsConfigError / TlsFileError if they are not usable. */
  constructor(
    readonly files: TlsFiles,
    opts: TlsReloaderOptions = {},
  ) {
    this.logger = opts.logger ?? stderrLogger;
    this.material = loadTlsMaterial(files);
  }

  /** The set in use for new connections. */
  get current(): TlsMaterial {
    return this.material;
  }

  get requireClientCert(): boolean {
    return this.files.requireClientCert === true;
  }

  /**
   * Re-reads the files. On success the new set is used for every new connection (listeners
   * run); on failure the old set stays in use and the error is logged and returned.
   */
  reload(): TlsReloadResult {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.files);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.logger.error(
        { err: error.message, code: (error as { code?: string }).code, kept: describe(this.material) },
        'tls: reload failed; keeping the certificates in use',
      );
      return { ok: false, error };
    }
    const before = this.material;
    this.material = next;
    for (const l of this.listeners) {
      try {
        l(next);
      } catch (e) {
        // One consumer refusing the set must not leave the others on a different one.
        this.material = before;
        for (const undo of this.listeners) {
          try {
            undo(before);
          } catch {
            // before was in use a moment ago; a consumer refusing it again has nothing better
          }
        }
        const error = e instanceof Error ? e : new Error(String(e));
        this.logger.error({ err: error.message, kept: describe(before) }, 'tls: reload refused by a listener; keeping the certificates in use');
        return { ok: false, error };
      }
    }
    this.logger.info({ ...describe(next), previousSerial: before.serial }, 'tls: certificates reloaded');
    return { ok: true, material: next };
  }

  /** Calls `fn` with every new set; returns the unsubscribe. */
  onChange(fn: (m: TlsMaterial) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Keeps a node:tls server's certificates in step with reloads until it closes. */
  attach(server: TlsServer): () => void {
    const off = this.onChange((m) => server.setSecureContext(m.contextOptions));
    server.once('close', off);
    return off;
  }

  /** Reloads on `signal` (default SIGHUP); returns the function that removes the handler. */
  reloadOnSignal(signal: NodeJS.Signals = 'SIGHUP'): () => void {
    const handler = (): void => {
      this.reload();
    };
    process.on(signal, handler);
    return () => process.removeListener(signal, handler);
  }
}
