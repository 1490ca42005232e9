// Named errors of @quorumkit/certain, each with a stable code.
import { QuorumkitError } from '@quorumkit/shared-storage';

/** write() did not target maxChosenEntry + 1: replay / catch up and retry. */
export class TurnError extends QuorumkitError {
  constructor(readonly entityId: bigint, readonly entry: bigint, readonly maxChosenEntry: bigint) {
    super('ETURN', `entity ${entityId}: entry ${entry} is not the next entry (max chosen ${maxChosenEntry})`);
  }
}

/** Another value won the entry the write targeted. */
export class ConflictError extends QuorumkitError {
  constructor(readonly entityId: bigint, readonly entry: bigint) {
    super('ECONFLICT', `entity ${entityId}: another value was chosen for entry ${entry}`);
  }
}

/** A uuid already chosen on the entity within the dedup window. */
export class DupUuidError extends QuorumkitError {
  constructor(readonly entityId: bigint, readonly uuid: bigint) {
    super('EDUPUUID', `entity ${entityId}: uuid ${uuid} already chosen`);
  }
}

/** The entity is being recovered through GetAll; retry later. */
export class PendingError extends QuorumkitError {
  constructor(readonly entityId: bigint) {
    super('EPENDING', `entity ${entityId}: GetAll in progress`);
  }
}

/** write() was given a value larger than the engine's valueBytesMax: it could never reach the peers. */
export class ValueTooLargeError extends QuorumkitError {
  constructor(readonly entityId: bigint, readonly bytes: number, readonly bytesMax: number) {
    super('EVALUETOOLARGE', `entity ${entityId}: value of ${bytes} bytes exceeds valueBytesMax ${bytesMax}`);
  }
}

/** A write is already in flight on the entity. */
export class BusyError extends QuorumkitError {
  constructor(readonly entityId: bigint) {
    super('EBUSY', `entity ${entityId}: another write is in flight`);
  }
}

export class CmdTimeoutError extends QuorumkitError {
  constructor(what: string, ms: number) {
    super('ETIMEOUT', `${what} timed out after ${ms} ms`);
  }
}

export class StoppedError extends QuorumkitError {
  constructor() {
    super('ESTOPPED', 'certain is stopped');
  }
}

export class BadConfigError extends QuorumkitError {
  constructor(message: string) {
    super('ECONFIG', message);
  }
}

/**
 * This replica cannot prove its state is intact (fresh directory without bootstrap, lost or
 * unreadable plog): it is a non-voting learner and refuses client reads and writes until it
 * has re-learnt from the other replicas. Retry on another replica, or later.
 */
export class RecoveringError extends QuorumkitError {
  constructor(detail: string) {
    super('ERECOVERING', `replica is recovering: ${detail}`);
  }
}

/** The replica runs with learnOnly (EnableLearnOnly): it never votes and serves no client commands. */
export class LearnOnlyError extends QuorumkitError {
  constructor() {
    super('ELEARNONLY', 'replica is learn-only (EnableLearnOnly): send commands to a voting replica');
  }
}

/** An operator RPC (RecoverData, GetAllForCertain) that this server was not configured to serve. */
export class DisabledError extends QuorumkitError {
  constructor(what: string, key: string) {
    super('EDISABLED', `${what} is disabled on this server (set ${key}=1 in its config to allow it)`);
  }
}

/** write() was given more client uuids than one value may carry (uuidsPerValueMax); nothing was proposed. */
export class TooManyUuidsError extends QuorumkitError {
  constructor(readonly entityId: bigint, readonly count: number, readonly max: number) {
    super('ETOOMANYUUIDS', `entity ${entityId}: ${count} uuids in one write exceed uuidsPerValueMax ${max}`);
  }
}

/**
 * The card server's admission limit (admitOpsMax requests queued or running) is reached: the
 * request was refused before anything ran, so it changed nothing. Retry later (with backoff)
 * or on another replica. Refusing early keeps the admitted work within its deadlines.
 */
export class OverloadedError extends QuorumkitError {
  constructor(readonly limit: string, readonly max: number) {
    super('EOVERLOADED', `server overloaded: ${limit} ${max} requests already admitted; nothing was changed, retry later`);
  }
}
