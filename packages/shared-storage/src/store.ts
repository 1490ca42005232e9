import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import {
  InvalidArgumentError,
  QuorumkitError,
  StorageIOError,
  StoreClosedError,
  StoreDamagedError,
  StoreMissingError,
  StoreLockedError,
  StoreOpenError,
} from './errors.js';
import { concatKey, encodeUtf8 } from './keys.js';
import { verifyLevelDbDir } from './levelVerify.js';

/** One write in an atomic batch. `key` is the full key (keyspace prefix included). */
export interface BatchOp {
  type: 'put' | 'del';
  key: Uint8Array;
  value?: Uint8Array;
}

/** Bounds of a range scan, relative to the keyspace; keys compare as unsigned bytes. */
export interface RangeOptions {
  gte?: Uint8Array;
  gt?: Uint8Array;
  lte?: Uint8Array;
  lt?: Uint8Array;
  limit?: number;
  reverse?: boolean;
}

/** Reads of a keyspace (live, or frozen in a snapshot). Keys in and out are keyspace-relative. */
export interface KeyspaceReader {
  readonly name: string;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  range(opts?: RangeOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
}

/** A typed sub-keyspace (a key prefix) of a Store. put/del build ops; store.write applies them. */
export interface Keyspace extends KeyspaceReader {
  /** The bytes prepended to every key of this keyspace. */
  readonly prefix: Uint8Array;
  put(key: Uint8Array, value: Uint8Array): BatchOp;
  del(key: Uint8Array): BatchOp;
}

/** A consistent point-in-time view of the whole store; close it when done. */
export interface StoreSnapshot {
  keyspace(name: string): KeyspaceReader;
  close(): Promise<void>;
}

export interface WriteOptions {
  /** fsync before resolving (default true) */
  sync?: boolean;
}

export interface Store {
  keyspace(name: string): Keyspace;
  /**
   * Apply ops as one atomic batch. By default with { sync: true }: fsynced before it resolves.
   * `{ sync: false }` is for stores whose content another, synced log can rebuild (a state
   * machine applied from a Paxos log that is the WAL): the batch survives a process crash
   * (it is in the OS page cache) but not a power loss; it does not count in syncCount.
   */
  write(ops: BatchOp[], opts?: WriteOptions): Promise<void>;
  snapshot(): Promise<StoreSnapshot>;
  /** Synced batches this store has written (empty batches do not count). */
  readonly syncCount: number;
  /** The directory, or undefined for a memory store. */
  readonly location: string | undefined;
  close(): Promise<void>;
}

export const KEYSPACE_NAME_BYTES_MAX = 255;

// Both backends implement abstract-level 3; the union's overloads do not unify in TS, so the
// memory backend is typed through the classic one (we use only the shared surface).
type Level = ClassicLevel<Uint8Array, Uint8Array>;
type LevelSnapshot = ReturnType<Level['snapshot']>;

export interface OpenStoreOptions {
  /**
   * Check the directory before opening: every WAL and MANIFEST record's checksum, every table
   * block's checksum, CURRENT present. Damage throws StoreDamagedError instead of opening
   * (LevelDB would silently skip the damaged records). Default false.
   */
  verify?: boolean;
  /** Create the store when the directory holds none. Default true; false throws StoreMissingError. */
  createIfMissing?: boolean;
}

/** Open (creating if missing) a store in directory `where`, or an in-memory one for tests. */
export async function openStore(where: string | { memory: true }, opts: OpenStoreOptions = {}): Promise<Store> {
  const options = { keyEncoding: 'view', valueEncoding: 'view' } as const;
  if (typeof where === 'object' && where !== null && where.memory === true) {
    const db = new MemoryLevel<Uint8Array, Uint8Array>(options);
    await db.open();
    return new LevelStore(db as unknown as Level, undefined);
  }
  if (typeof where !== 'string' || where.length === 0) {
    throw new InvalidArgumentError('openStore needs a directory path or { memory: true }');
  }
  const createIfMissing = opts.createIfMissing ?? true;
  if (opts.verify || !createIfMissing) {
    const report = await verifyLevelDbDir(where);
    if (report.problems.length > 0) throw new StoreDamagedError(where, report.problems);
    if (report.kind !== 'present' && !createIfMissing) {
      throw new StoreMissingError(where, report.kind === 'absent' ? 'no such directory' : 'the directory holds no LevelDB files');
    }
  }
  const db = new ClassicLevel<Uint8Array, Uint8Array>(where, options);
  try {
    if (createIfMissing) await mkdir(where, { recursive: true });
    await db.open({ createIfMissing });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new StoreLockedError(where, err);
    const text = `${(err as Error).message} ${cause?.message ?? ''}`;
    if (cause?.code === 'LEVEL_CORRUPTION' || /corrupt/i.test(text)) throw new StoreDamagedError(where, [text.trim()], err);
    throw new StoreOpenError(where, err);
  }
  return new LevelStore(db, where);
}

function checkBytes(what: string, b: unknown): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array`);
}

/** Throw InvalidArgumentError unless `op` is a well-formed put or del. */
export function checkBatchOp(op: BatchOp): void {
  if (op === null || typeof op !== 'object') throw new InvalidArgumentError('batch op must be an object');
  checkBytes('batch op key', op.key);
  if (op.type === 'put') checkBytes('batch op value', op.value);
  else if (op.type !== 'del') throw new InvalidArgumentError(`batch op type must be 'put' or 'del', got ${String(op.type)}`);
}

function keyspacePrefix(name: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('keyspace name must be a non-empty string');
  const bytes = encodeUtf8(name);
  if (bytes.length > KEYSPACE_NAME_BYTES_MAX) {
    throw new InvalidArgumentError(`keyspace name is ${bytes.length} bytes, at most ${KEYSPACE_NAME_BYTES_MAX}`);
  }
  // Length-prefixed, so no keyspace's prefix is a prefix of another's.
  return concatKey(Uint8Array.of(bytes.length), bytes);
}

/** Smallest key greater than every key starting with `prefix`, or undefined if none exists. */
function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

// Backends hand out Buffers (classic-level) or the very array that was stored (memory-level);
// callers get a plain Uint8Array they own either way.
function own(b: Uint8Array, copy: boolean): Uint8Array {
  return copy ? copyBytes(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// Buffer#slice does not copy, so copy explicitly.
function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

class LevelStore implements Store {
  private closed = false;
  private syncs = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly keyspaces = new Map<string, LevelKeyspace>();
  private readonly isMemory: boolean;

  constructor(
    private readonly db: Level,
    readonly location: string | undefined,
  ) {
    this.isMemory = location === undefined;
  }

  get syncCount(): number {
    return this.syncs;
  }

  keyspace(name: string): Keyspace {
    let ks = this.keyspaces.get(name);
    if (!ks) {
      ks = new LevelKeyspace(this, name, keyspacePrefix(name), undefined);
      this.keyspaces.set(name, ks);
    }
    return ks;
  }

  async write(ops: BatchOp[], opts: WriteOptions = {}): Promise<void> {
    this.checkOpen();
    if (!Array.isArray(ops)) throw new InvalidArgumentError('write needs an array of ops');
    if (opts.sync !== undefined && typeof opts.sync !== 'boolean') throw new InvalidArgumentError('write: sync must be a boolean');
    const batch = ops.map((op) => this.toLevelOp(op));
    if (batch.length === 0) return;
    const sync = opts.sync ?? true;
    // A chained batch, not db.batch(array, options): abstract-level copies the options into
    // every op of an array batch, 8.7-12.5 us of main-thread time per op with { sync }
    // against 1.4-3.0 us chained (64-op batches; issue 17's acceptor profile).
    const chained = this.db.batch();
    try {
      for (const op of batch) {
        if (op.type === 'put') chained.put(op.key, op.value);
        else chained.del(op.key);
      }
    } catch (err) {
      await chained.close();
      throw err;
    }
    await this.track('batch write', chained.write({ sync }));
    if (sync) this.syncs++;
  }

  async snapshot(): Promise<StoreSnapshot> {
    this.checkOpen();
    const snap = this.db.snapshot();
    let released = false;
    return {
      keyspace: (name: string) => new LevelKeyspace(this, name, keyspacePrefix(name), snap),
      close: async () => {
        if (released) return;
        released = true;
        await snap.close();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await this.db.close();
  }

  checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  async get(key: Uint8Array, snapshot: LevelSnapshot | undefined): Promise<Uint8Array | undefined> {
    this.checkOpen();
    const v = await this.track('get', this.db.get(key, snapshot ? { snapshot } : {}));
    return v === undefined ? undefined : own(v, this.isMemory);
  }

  async *iterate(
    prefix: Uint8Array,
    opts: RangeOptions,
    snapshot: LevelSnapshot | undefined,
  ): AsyncGenerator<[Uint8Array, Uint8Array]> {
    this.checkOpen();
    const bounds: Record<string, unknown> = { reverse: opts.reverse === true };
    if (opts.limit !== undefined) {
      if (!Number.isInteger(opts.limit)) throw new InvalidArgumentError('range limit must be an integer');
      bounds.limit = opts.limit < 0 ? -1 : opts.limit;
    }
    for (const b of ['gte', 'gt', 'lte', 'lt'] as const) {
      const v = opts[b];
      if (v === undefined) continue;
      checkBytes(`range ${b}`, v);
      bounds[b] = concatKey(prefix, v);
    }
    if (bounds.gte === undefined && bounds.gt === undefined) bounds.gte = prefix;
    if (bounds.lte === undefined && bounds.lt === undefined) {
      const end = prefixEnd(prefix);
      if (end) bounds.lt = end;
    }
    if (snapshot) bounds.snapshot = snapshot;
    const it = this.db.iterator(bounds);
    try {
      for await (const [k, v] of it) {
        yield [own(k.subarray(prefix.length), true), own(v, this.isMemory)];
      }
    } catch (err) {
      throw this.translate('range', err);
    } finally {
      await it.close();
    }
  }

  private toLevelOp(op: BatchOp) {
    checkBatchOp(op);
    const key = this.isMemory ? copyBytes(op.key) : op.key;
    if (op.type === 'del') return { type: 'del' as const, key };
    const value = op.value!;
    return { type: 'put' as const, key, value: this.isMemory ? copyBytes(value) : value };
  }

  private async track<T>(operation: string, p: Promise<T>): Promise<T> {
    this.pending.add(p);
    try {
      return await p;
    } catch (err) {
      throw this.translate(operation, err);
    } finally {
      this.pending.delete(p);
    }
  }

  private translate(operation: string, err: unknown): unknown {
    if (err instanceof QuorumkitError) return err;
    if (this.closed) return new StoreClosedError();
    return new StorageIOError(operation, err);
  }
}

class LevelKeyspace implements Keyspace {
  constructor(
    private readonly store: LevelStore,
    readonly name: string,
    readonly prefix: Uint8Array,
    private readonly snapshot: LevelSnapshot | undefined,
  ) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    checkBytes('key', key);
    return this.store.get(concatKey(this.prefix, key), this.snapshot);
  }

  put(key: Uint8Array, value: Uint8Array): BatchOp {
    checkBytes('key', key);
    checkBytes('value', value);
    return { type: 'put', key: concatKey(this.prefix, key), value };
  }

  del(key: Uint8Array): BatchOp {
    checkBytes('key', key);
    return { type: 'del', key: concatKey(this.prefix, key) };
  }

  range(opts: RangeOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.store.iterate(this.prefix, opts, this.snapshot);
  }
}
