// The data store (the original's clsDBBase): the applied state of every entity plus its
// maxCommittedEntry, written atomically together. Applying a value is the application's job
// (the `apply` hook turns a chosen value into key writes inside the entity).
import { GroupCommitWriter, openStore, encodeBigintKey, decodeBigintKey, decodeBigintKeyAt, concatKey, type BatchOp, type Store, type Keyspace, type StoreSnapshot } from '@quorumkit/shared-storage';
import { openValue, sealValue } from './codec.js';
import { UuidBuckets, UUID_BUCKET_MS_DEFAULT } from './uuidBuckets.js';
import type { UuidTime } from './plog.js';
import { RowCache } from './rowCache.js';
import { UnsyncedWriter } from './unsyncedWriter.js';

/** Reads and writes inside one entity, used by the apply hook. */
export interface EntityTx {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
  /**
   * Remember `reply` as the answer to the client request `uuid` of the value being applied
   * (at-most-once RPC): it is stored with the uuid's dedup row, atomically with the data, and
   * travels with GetAll, so a retry on any replica gets the original reply.
   */
  reply(uuid: bigint, reply: Uint8Array): void;
}

/** A uuid's dedup row: when it was applied and, if the application gave one, its reply. */
export interface UuidRow {
  at: number;
  reply?: Uint8Array;
}

/** Rows written before replies existed hold the time only. */
export function openUuidRow(b: Uint8Array): UuidRow {
  const v = openValue<number | UuidRow>(b);
  return typeof v === 'number' ? { at: v } : v;
}

export type ApplyFn = (entityId: bigint, entry: bigint, value: Uint8Array, tx: EntityTx) => Promise<void> | void;

/** One page of an entity's rows from a pinned snapshot. */
export interface SnapshotPage {
  rows: [Uint8Array, Uint8Array][];
  /** Resume after this key; undefined when the entity is done. */
  nextCursor?: Uint8Array;
}

export interface DbSnapshot {
  readonly maxCommitted: bigint;
  page(cursor: Uint8Array | undefined, bytesMax: number): Promise<SnapshotPage>;
  close(): Promise<void>;
}

export interface CommitEntry {
  entry: bigint;
  value: Uint8Array | null;
  /** Client uuids of the chosen value (kept for dedup with the data). */
  uuids?: bigint[];
}

const CHECKPOINT_KEY = new TextEncoder().encode('checkpoint');

// Snapshot rows carry a phase byte before the key: data rows, then the entity's uuid index.
const PHASE_DATA = 0;
const PHASE_UUID = 1;

export interface Db {
  /** fsyncs done so far (optional: for metrics). */
  readonly syncCount?: number;
  maxCommitted(entityId: bigint): Promise<bigint>;
  /** Apply `value` (null: no-op) as entry `entry` and set maxCommitted = entry, atomically. */
  commit(entityId: bigint, entry: bigint, value: Uint8Array | null): Promise<void>;
  /** Several consecutive entries in one atomic batch (optional; commit() is used otherwise). */
  commitMany?(entityId: bigint, entries: CommitEntry[], nowMs?: number): Promise<void>;
  /**
   * The uuid dedup index kept with the data (optional): a uuid applied at or after sinceMs.
   * Kept here so it travels with the pinned snapshot in GetAll.
   */
  hasUuid?(entityId: bigint, uuid: bigint, sinceMs: number): Promise<boolean>;
  /** The dedup row of a uuid applied at or after sinceMs (optional), with its stored reply. */
  uuidRow?(entityId: bigint, uuid: bigint, sinceMs: number): Promise<UuidRow | undefined>;
  /** The applied uuids whose time bucket overlaps [fromMs, toMs) (optional; see Plog.uuidTimes). */
  uuidTimes?(fromMs: number, toMs: number): AsyncIterable<UuidTime>;
  /** The dedup rows of one entity applied at or after sinceMs (optional: after a GetAll copy). */
  entityUuids?(entityId: bigint, sinceMs: number): AsyncIterable<UuidTime>;
  /** Drop dedup entries (of every entity) applied before beforeMs (optional); returns how many. */
  expireUuids?(beforeMs: number): Promise<number>;
  get(entityId: bigint, key: Uint8Array): Promise<Uint8Array | undefined>;
  /** A pinned, consistent view of one entity for GetAll. */
  snapshot(entityId: bigint): Promise<DbSnapshot>;
  /** GetAll sink: the flag is durable before the entity's data is cleared. */
  beginGetAll(entityId: bigint): Promise<void>;
  putRows(entityId: bigint, rows: [Uint8Array, Uint8Array][]): Promise<void>;
  finishGetAll(entityId: bigint, maxCommitted: bigint): Promise<void>;
  /** Entities whose GetAll was interrupted (flag still set). */
  pendingGetAll(): Promise<bigint[]>;
  /**
   * Make every apply that has resolved so far durable (optional; a store that syncs each
   * apply needs none). The engine calls it before it deletes plog entries the data store
   * holds, since the plog is the write-ahead log of an unsynced data store.
   */
  checkpoint?(): Promise<void>;
  close(): Promise<void>;
}

/** The row cache's key of a data row (latin1: one char per byte, cheaper than hex). */
function rowKey(entityId: bigint, key: Uint8Array): string {
  return `${entityId}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
}

export class LevelDb implements Db {
  private readonly meta: Keyspace;
  private readonly data: Keyspace;
  private readonly flags: Keyspace;
  private readonly uuids: Keyspace;
  private readonly writer: GroupCommitWriter;
  /** Unsynced applies of one event-loop turn, one LevelDB write (unsyncedWriter.ts). */
  readonly applyWriter: UnsyncedWriter;
  /** Time buckets of the uuid index: expiry drops whole buckets (uuidt keyspace). */
  readonly uuidBuckets: UuidBuckets;
  /** Hot data rows (the last applied value of a key, or its absence): get() reads no store. */
  readonly rowCache: RowCache;

  private constructor(
    private readonly store: Store,
    private readonly applyFn: ApplyFn,
    bucketMs: number,
    private readonly applySync: boolean,
    rowCacheBytesMax: number,
  ) {
    this.rowCache = new RowCache(rowCacheBytesMax);
    this.meta = store.keyspace('meta');
    this.data = store.keyspace('data');
    this.flags = store.keyspace('getall');
    this.uuids = store.keyspace('uuid');
    this.writer = new GroupCommitWriter(store);
    this.applyWriter = new UnsyncedWriter(store, this.writer.batchOpsMax);
    this.uuidBuckets = new UuidBuckets(store.keyspace('uuidt'), this.uuids, this.writer, (v) => openUuidRow(v).at, bucketMs);
  }

  /**
   * verify: check every WAL/table checksum first; damage throws StoreDamagedError (shared-storage).
   * applySync false: applies of chosen entries are written without fsync (the plog, synced, is
   * their write-ahead log: the engine replays it above the data store's maxCommitted at start
   * and calls checkpoint() before plog expiry); GetAll and other writes stay synced.
   * rowCacheBytesMax: hot data rows kept in memory (default 0: none).
   */
  static async open(where: string | { memory: true }, apply: ApplyFn, opts: { uuidBucketMs?: number; verify?: boolean; applySync?: boolean; rowCacheBytesMax?: number } = {}): Promise<LevelDb> {
    const db = new LevelDb(await openStore(where, { verify: opts.verify }), apply, opts.uuidBucketMs ?? UUID_BUCKET_MS_DEFAULT, opts.applySync ?? true, opts.rowCacheBytesMax ?? 0);
    await db.indexUuidTimes();
    return db;
  }

  /**
   * Stores written before the time index existed: index their uuid rows once (a marker in
   * meta says it was done), so the bucketed expiry sees them too.
   */
  private async indexUuidTimes(): Promise<void> {
    const sys = this.store.keyspace('sys');
    const marker = new TextEncoder().encode('uuidt');
    if (await sys.get(marker)) return;
    let ops: BatchOp[] = [];
    for await (const [k, v] of this.uuids.range()) {
      const e = decodeBigintKeyAt(k, 0);
      ops.push(this.uuidBuckets.put(e.value, decodeBigintKeyAt(k, e.end).value, openUuidRow(v).at));
      if (ops.length >= 1000) {
        await this.writer.write(ops);
        ops = [];
      }
    }
    ops.push(sys.put(marker, sealValue(true)));
    await this.writer.write(ops);
  }

  get syncCount(): number {
    return this.store.syncCount;
  }

  async maxCommitted(entityId: bigint): Promise<bigint> {
    const b = await this.meta.get(encodeBigintKey(entityId));
    return b ? openValue<bigint>(b) : 0n;
  }

  commit(entityId: bigint, entry: bigint, value: Uint8Array | null): Promise<void> {
    return this.commitMany(entityId, [{ entry, value }]);
  }

  /** Apply consecutive entries in one atomic batch (group-committed with other entities). */
  async commitMany(entityId: bigint, entries: CommitEntry[], nowMs = Date.now()): Promise<void> {
    if (entries.length === 0) return;
    const uuidOps = entries.reduce((n, e) => n + (e.uuids?.length ?? 0), 0);
    if (entries.length > 1 && uuidOps + entries.length + 1 > this.writer.batchOpsMax / 2) {
      // too big for one synced batch: apply in two halves, each atomic with its maxCommitted
      const half = Math.ceil(entries.length / 2);
      await this.commitMany(entityId, entries.slice(0, half), nowMs);
      await this.commitMany(entityId, entries.slice(half), nowMs);
      return;
    }
    this.rowCache.beginWrite(entityId);
    try {
      await this.commitBatch(entityId, entries, nowMs);
    } finally {
      this.rowCache.endWrite(entityId);
    }
  }

  private async commitBatch(entityId: bigint, entries: CommitEntry[], nowMs: number): Promise<void> {
    const ops: BatchOp[] = [];
    const staged = new Map<string, { key: Uint8Array; value?: Uint8Array }>();
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
    const replies = new Map<bigint, Uint8Array>();
    const tx: EntityTx = {
      reply: (uuid, reply) => void replies.set(uuid, reply),
      get: async (key) => {
        const s = staged.get(hex(key));
        if (s) return s.value;
        return this.get(entityId, key);
      },
      put: (key, v) => void staged.set(hex(key), { key, value: v }),
      del: (key) => void staged.set(hex(key), { key }),
    };
    for (const e of entries) if (e.value !== null) await this.applyFn(entityId, e.entry, e.value, tx);
    for (const s of staged.values()) {
      const k = concatKey(encodeBigintKey(entityId), s.key);
      ops.push(s.value === undefined ? this.data.del(k) : this.data.put(k, s.value));
    }
    for (const e of entries) {
      for (const u of e.uuids ?? []) {
        const reply = replies.get(u);
        const row: UuidRow = reply ? { at: nowMs, reply } : { at: nowMs };
        ops.push(this.uuids.put(concatKey(encodeBigintKey(entityId), encodeBigintKey(u)), sealValue(row)), this.uuidBuckets.put(entityId, u, nowMs));
      }
    }
    ops.push(this.meta.put(encodeBigintKey(entityId), sealValue(entries[entries.length - 1]!.entry)));
    if (this.applySync) await this.writer.write(ops);
    else await this.applyWriter.write(ops);
    for (const s of staged.values()) this.rowCache.set(rowKey(entityId, s.key), s.value);
  }

  async checkpoint(): Promise<void> {
    if (this.applySync) return;
    // one synced write: LevelDB's log fsync makes every earlier (unsynced) batch durable with it
    await this.writer.write([this.store.keyspace('sys').put(CHECKPOINT_KEY, sealValue(Date.now()))]);
    this.checkpoints++;
  }

  /** checkpoint() calls that synced (tests, metrics). */
  checkpoints = 0;

  async hasUuid(entityId: bigint, uuid: bigint, sinceMs: number): Promise<boolean> {
    return (await this.uuidRow(entityId, uuid, sinceMs)) !== undefined;
  }

  async uuidRow(entityId: bigint, uuid: bigint, sinceMs: number): Promise<UuidRow | undefined> {
    const b = await this.uuids.get(concatKey(encodeBigintKey(entityId), encodeBigintKey(uuid)));
    if (b === undefined) return undefined;
    const row = openUuidRow(b);
    return row.at >= sinceMs ? row : undefined;
  }

  expireUuids(beforeMs: number): Promise<number> {
    return this.uuidBuckets.expire(beforeMs);
  }

  uuidTimes(fromMs: number, toMs: number): AsyncIterable<UuidTime> {
    return this.uuidBuckets.between(fromMs, toMs);
  }

  async *entityUuids(entityId: bigint, sinceMs: number): AsyncGenerator<UuidTime> {
    const prefix = encodeBigintKey(entityId);
    for await (const [k, v] of this.uuids.range({ gte: prefix, lt: encodeBigintKey(entityId + 1n) })) {
      const at = openUuidRow(v).at;
      if (at >= sinceMs) yield { entityId, uuid: decodeBigintKeyAt(k, prefix.length).value, atMs: at };
    }
  }

  async get(entityId: bigint, key: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.rowCache.bytesMax <= 0) return this.data.get(concatKey(encodeBigintKey(entityId), key));
    const rk = rowKey(entityId, key);
    const hit = this.rowCache.get(rk);
    if (hit) return hit.value;
    const ticket = this.rowCache.ticket(entityId);
    const v = await this.data.get(concatKey(encodeBigintKey(entityId), key));
    this.rowCache.fill(entityId, ticket, rk, v);
    return v;
  }

  async snapshot(entityId: bigint): Promise<DbSnapshot> {
    const snap: StoreSnapshot = await this.store.snapshot();
    const meta = await snap.keyspace('meta').get(encodeBigintKey(entityId));
    const spaces = [snap.keyspace('data'), snap.keyspace('uuid')];
    const prefix = encodeBigintKey(entityId);
    const end = encodeBigintKey(entityId + 1n);
    return {
      maxCommitted: meta ? openValue<bigint>(meta) : 0n,
      async page(cursor, bytesMax) {
        const rows: [Uint8Array, Uint8Array][] = [];
        let bytes = 0;
        let last: Uint8Array | undefined;
        // cursor = phase byte + key within the entity (data rows first, then uuid rows)
        const phase0 = cursor && cursor.length > 0 ? cursor[0]! : PHASE_DATA;
        for (let phase = phase0; phase <= PHASE_UUID; phase++) {
          const after = cursor && phase === phase0 && cursor.length > 1 ? concatKey(prefix, cursor.subarray(1)) : undefined;
          for await (const [k, v] of spaces[phase]!.range(after ? { gt: after, lt: end } : { gte: prefix, lt: end })) {
            if (rows.length > 0 && bytes + k.length + v.length > bytesMax) return { rows, nextCursor: last };
            const key = new Uint8Array(k.length - prefix.length + 1);
            key[0] = phase;
            key.set(k.subarray(prefix.length), 1);
            rows.push([key, v]);
            bytes += k.length + v.length;
            last = key;
          }
        }
        return { rows };
      },
      close: () => snap.close(),
    };
  }

  async beginGetAll(entityId: bigint): Promise<void> {
    this.rowCache.beginWrite(entityId);
    try {
      await this.clearEntity(entityId);
    } finally {
      this.rowCache.clear();
      this.rowCache.endWrite(entityId);
    }
  }

  private async clearEntity(entityId: bigint): Promise<void> {
    await this.store.write([this.flags.put(encodeBigintKey(entityId), sealValue(true))]);
    const prefix = encodeBigintKey(entityId);
    let ops: BatchOp[] = [];
    for await (const [k] of this.data.range({ gte: prefix, lt: encodeBigintKey(entityId + 1n) })) {
      ops.push(this.data.del(concatKey(prefix, k.subarray(prefix.length))));
      if (ops.length >= 1000) {
        await this.store.write(ops);
        ops = [];
      }
    }
    for await (const [k] of this.uuids.range({ gte: prefix, lt: encodeBigintKey(entityId + 1n) })) {
      ops.push(this.uuids.del(k));
      if (ops.length >= 1000) {
        await this.store.write(ops);
        ops = [];
      }
    }
    ops.push(this.meta.del(encodeBigintKey(entityId)));
    await this.store.write(ops);
  }

  async putRows(entityId: bigint, rows: [Uint8Array, Uint8Array][]): Promise<void> {
    const prefix = encodeBigintKey(entityId);
    const ops: BatchOp[] = [];
    for (const [k, v] of rows) {
      if (k.length === 0 || k[0]! > PHASE_UUID) continue; // not a row this version writes
      ops.push((k[0] === PHASE_UUID ? this.uuids : this.data).put(concatKey(prefix, k.subarray(1)), v));
      if (k[0] === PHASE_UUID) ops.push(this.uuidBuckets.put(entityId, decodeBigintKeyAt(k, 1).value, openUuidRow(v).at));
    }
    if (ops.length === 0) return;
    this.rowCache.beginWrite(entityId);
    try {
      await this.store.write(ops);
    } finally {
      this.rowCache.clear();
      this.rowCache.endWrite(entityId);
    }
  }

  async finishGetAll(entityId: bigint, maxCommitted: bigint): Promise<void> {
    await this.store.write([
      this.meta.put(encodeBigintKey(entityId), sealValue(maxCommitted)),
      this.flags.del(encodeBigintKey(entityId)),
    ]);
  }

  async pendingGetAll(): Promise<bigint[]> {
    const out: bigint[] = [];
    for await (const [k] of this.flags.range()) out.push(decodeBigintKey(k));
    return out;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
