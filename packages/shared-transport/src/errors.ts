// Named transport errors. Every one extends QuorumkitError and carries a stable `code`.
import { QuorumkitError } from '@quorumkit/shared-storage';

export { QuorumkitError };

/** Accepted / rejected / failed answers seen by a quorumCall before it gave up. */
export interface QuorumOutcome<T = unknown, R = unknown> {
  accepted: { target: T; result: R }[];
  rejected: { target: T; result: R }[];
  failed: { target: T; error: unknown }[];
}

/** `need` accepted answers can no longer be reached. */
export class QuorumError extends QuorumkitError {
  constructor(
    message: string,
    readonly outcome: QuorumOutcome<any, any> = { accepted: [], rejected: [], failed: [] },
  ) {
    super('ENOQUORUM', message);
  }
}

/** A deadline passed (a call's own deadline or a quorumCall's). */
export class DeadlineError extends QuorumkitError {
  constructor(
    message: string,
    readonly outcome?: QuorumOutcome<any, any>,
  ) {
    super('EDEADLINE', message);
  }
}

/** The caller aborted the operation through its AbortSignal. */
export class CancelledError extends QuorumkitError {
  constructor(message = 'cancelled') {
    super('ECANCELLED', message);
  }
}

/** The peer could not be reached (connection refused, reset, not ready). */
export class UnavailableError extends QuorumkitError {
  constructor(
    message: string,
    readonly grpcCode: number,
  ) {
    super('EUNAVAILABLE', message);
  }
}

/**
 * The remote handler failed. `code` is the remote QuorumkitError's code when the server sent
 * one (trailing metadata `x-quorumkit-code`), else 'EREMOTE'.
 */
export class RemoteError extends QuorumkitError {
  constructor(
    message: string,
    readonly grpcCode: number,
    readonly remoteCode: string | undefined,
  ) {
    super(remoteCode ?? 'EREMOTE', message);
  }
}

/** A 64-bit value is malformed or out of range at the proto edge. */
export class Int64Error extends QuorumkitError {
  constructor(message: string) {
    super('EINT64', message);
  }
}

/** A proto file or service name given to a factory does not exist. */
export class ProtoError extends QuorumkitError {
  constructor(message: string) {
    super('EPROTO', message);
  }
}

/** The TLS flags do not make sense together (key without cert, client auth without CA...). */
export class TlsConfigError extends QuorumkitError {
  constructor(message: string) {
    super('ETLSCONFIG', message);
  }
}

/** A TLS file cannot be read or does not hold what its flag needs (PEM certificate, key...). */
export class TlsFileError extends QuorumkitError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('ETLSFILE', message);
  }
}
