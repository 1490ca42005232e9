// Named errors of paxoskv, each with a stable code (the CLI maps them to messages and exit codes).
import { QuorumkitError } from '@quorumkit/shared-storage';

/** The seed's NotEnoughQuorum: a phase did not gather a quorum of OK replies. */
export class NotEnoughQuorumError extends QuorumkitError {
  constructor() {
    super('ENOTENOUGHQUORUM', 'not enough quorum');
  }
}
/** The seed compares errors by identity (`err == NotEnoughQuorum`); so can we. */
export const NotEnoughQuorum = new NotEnoughQuorumError();

/** A request that cannot be served as sent (malformed, out of range, too large); nothing changed. */
export class BadRequestError extends QuorumkitError {
  constructor(message: string) {
    super('EBADREQUEST', message);
  }
}

/** A Paxos run or KV operation did not finish before its deadline. */
export class PaxosDeadlineError extends QuorumkitError {
  constructor(
    message: string,
    readonly lastError?: unknown,
  ) {
    super('EPAXOSDEADLINE', message);
  }
}

/** Fewer than a quorum of acceptors answered at all (down, unreachable, wrong address). */
export class NoQuorumReachableError extends QuorumkitError {
  constructor(message: string) {
    super('ENOQUORUMREACHABLE', message);
  }
}

/** A flag or argument is malformed (address, version, value type). */
export class UsageError extends QuorumkitError {
  constructor(message: string) {
    super('EUSAGE', message);
  }
}

/** An acceptor could not bind its address (in use, not a local address). */
export class ListenError extends QuorumkitError {
  constructor(message: string) {
    super('ELISTEN', message);
  }
}

/** A request's cluster id or member count does not match the acceptor's (issue 17 item 2). */
export class ClusterViewError extends QuorumkitError {
  constructor(message: string) {
    super('ECLUSTERVIEW', message);
  }
}

/** This acceptor's state is being re-learned from the others: it does not vote yet. */
export class RecoveringError extends QuorumkitError {
  constructor(message: string) {
    super('ERECOVERING', message);
  }
}

/** A client-side limit refused this one request (nothing was sent); the client keeps working. */
export class LimitError extends QuorumkitError {
  constructor(message: string) {
    super('ELIMIT', message);
  }
}
