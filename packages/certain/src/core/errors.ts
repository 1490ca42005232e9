// Named protocol errors (pure: no node imports). QuorumkitError comes from shared-storage in
// the shell; here a minimal base keeps the core dependency-free, and the shell re-exports them.
export class CertainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** write() did not target maxChosenEntry + 1: the caller must catch up (replay) and retry. */
export class TurnError extends CertainError {
  constructor(
    readonly entityId: bigint,
    readonly entry: bigint,
    readonly maxChosenEntry: bigint,
  ) {
    super('ETURN', `entity ${entityId}: entry ${entry} is not the next entry (max chosen ${maxChosenEntry})`);
  }
}

/** Another value won the entry the write targeted. */
export class ConflictError extends CertainError {
  constructor(readonly entityId: bigint, readonly entry: bigint) {
    super('ECONFLICT', `entity ${entityId}: another value was chosen for entry ${entry}`);
  }
}

/** A uuid already chosen on the entity within the dedup window. */
export class DupUuidError extends CertainError {
  constructor(readonly entityId: bigint, readonly uuid: bigint) {
    super('EDUPUUID', `entity ${entityId}: uuid ${uuid} already chosen`);
  }
}

/** The entity is being recovered through GetAll; retry later. */
export class PendingError extends CertainError {
  constructor(readonly entityId: bigint) {
    super('EPENDING', `entity ${entityId}: GetAll in progress`);
  }
}

/** A write or read is already in flight on the entity. */
export class BusyError extends CertainError {
  constructor(readonly entityId: bigint) {
    super('EBUSY', `entity ${entityId}: another command is in flight`);
  }
}

export class TimeoutError extends CertainError {
  constructor(what: string) {
    super('ETIMEOUT', `${what} timed out`);
  }
}
