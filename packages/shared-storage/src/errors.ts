/**
 * Base of every named error in quorumkit. `code` is stable: CLIs and RPC layers map it to
 * exit codes and wire statuses, so never change an existing code, add a new class instead.
 */
export class QuorumkitError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A framed file failed its magic, version, length or CRC check (torn or corrupted on disk). */
export class CorruptFileError extends QuorumkitError {
  readonly path: string;

  constructor(path: string, reason: string) {
    super('ECORRUPT', `corrupt file ${path}: ${reason}`);
    this.path = path;
  }
}

/** A checksummed record (see sealRecord) failed its CRC or length check. */
export class CorruptRecordError extends QuorumkitError {
  constructor(reason: string) {
    super('ECORRUPTRECORD', `corrupt record: ${reason}`);
  }
}

/** A caller passed something the storage layer cannot accept; nothing was changed. */
export class InvalidArgumentError extends QuorumkitError {
  constructor(message: string) {
    super('EINVAL', message);
  }
}

/** A key could not be encoded or decoded (out of range, malformed bytes). */
export class KeyEncodingError extends QuorumkitError {
  constructor(message: string) {
    super('EKEYENCODING', message);
  }
}

/** The store or writer was used after close(). */
export class StoreClosedError extends QuorumkitError {
  constructor(what = 'store') {
    super('ECLOSED', `${what} is closed`);
  }
}

/** Another process (or another open handle) holds the LevelDB lock of this directory. */
export class StoreLockedError extends QuorumkitError {
  constructor(path: string, cause?: unknown) {
    super('ELOCKED', `store ${path} is locked by another process or handle`, { cause });
  }
}

/** The store could not be opened for another reason (permissions, corruption, bad path). */
export class StoreOpenError extends QuorumkitError {
  constructor(path: string, cause?: unknown) {
    super('ESTOREOPEN', `cannot open store ${path}: ${(cause as Error | undefined)?.message ?? 'unknown error'}`, { cause });
  }
}

/** A single GroupCommitWriter.write() carried more ops than batchOpsMax allows. */
export class BatchTooLargeError extends QuorumkitError {
  constructor(ops: number, batchOpsMax: number) {
    super('EBATCHTOOLARGE', `write of ${ops} ops exceeds batchOpsMax ${batchOpsMax}; use store.write for one large atomic batch`);
  }
}

/** The storage engine failed a read or write (disk full, I/O error); `cause` has the original. */
export class StorageIOError extends QuorumkitError {
  constructor(operation: string, cause: unknown) {
    super('ESTORAGEIO', `storage ${operation} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`, { cause });
  }
}

/** A store failed its integrity check on open (damaged WAL/manifest/table, LevelDB corruption). */
export class StoreDamagedError extends QuorumkitError {
  readonly problems: string[];

  constructor(path: string, problems: string[], cause?: unknown) {
    super('ESTOREDAMAGED', `store ${path} is damaged: ${problems.join('; ')}`, { cause });
    this.problems = problems;
  }
}

/** A store that must exist (its replica identity says so) is missing; it was not recreated. */
export class StoreMissingError extends QuorumkitError {
  constructor(path: string, reason: string) {
    super('ESTOREMISSING', `store ${path} is missing: ${reason}`);
  }
}

/** A replica directory belongs to another cluster (or another replica id) than configured. */
export class IdentityMismatchError extends QuorumkitError {
  constructor(message: string) {
    super('EIDENTITY', message);
  }
}
