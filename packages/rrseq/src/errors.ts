// Named errors of @quorumkit/rrseq, each with a stable code.
import { QuorumkitError } from '@quorumkit/shared-storage';

/** This server lost its state and is rebuilding it from its peers; it serves nothing meanwhile. */
export class NotReadyError extends QuorumkitError {
  readonly grpcCode = 14; // UNAVAILABLE: a client should try another server
  constructor(message: string) {
    super('ENOTREADY', message);
  }
}

/** A request, flag or address that cannot be used. Nothing was changed. */
export class InvalidArgumentError extends QuorumkitError {
  readonly grpcCode = 3; // INVALID_ARGUMENT
  constructor(message: string) {
    super('EINVAL', message);
  }
}

/** A client could not obtain a range of IDs (no majority reachable, deadline, overflow). */
export class RangeUnavailableError extends QuorumkitError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super('ENORANGE', message);
  }
}

/** A server's own address and peer list do not make a usable cluster (refused at start). */
export class MembershipError extends QuorumkitError {
  constructor(message: string) {
    super('EMEMBERSHIP', message);
  }
}

/**
 * The cluster granted a range starting below IDs this client already held: proof that IDs
 * were issued twice (e.g. a majority of servers lost their disks). The overlapping part is
 * never handed out; the client goes on with the part above what it held.
 */
export class RangeRegressionError extends QuorumkitError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super('ERANGEREGRESSION', message);
  }
}

/** RRSeq.next({ timeoutMs }) gave up waiting for an ID (no ID was taken). */
export class NextTimeoutError extends QuorumkitError {
  constructor(message: string) {
    super('ETIMEDOUT', message);
  }
}

/** RRSeq.next({ signal }) was aborted (no ID was taken). */
export class NextAbortedError extends QuorumkitError {
  constructor(message: string) {
    super('EABORTED', message);
  }
}

/** A new sequence name beyond the server's quota of names (namesMax). Nothing was changed. */
export class NamesQuotaError extends QuorumkitError {
  readonly grpcCode = 8; // RESOURCE_EXHAUSTED
  constructor(message: string) {
    super('ENAMESQUOTA', message);
  }
}

/** RRSeq.ready() on (or while waiting when) the client was closed. */
export class ClientClosedError extends QuorumkitError {
  constructor(message: string) {
    super('ECLOSED', message);
  }
}
