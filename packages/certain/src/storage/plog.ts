// The Paxos log (the original's clsPLogBase): per (entity, entry) the replica's own record,
// the entity's maxChosenEntry, and the chosen uuids for dedup. One write() is one synced batch.
import { GroupCommitWriter, openStore, encodeBigintKey, decodeBigintKey, decodeBigintKeyAt, concatKey, type BatchOp, type Store, type Keyspace } from '@quorumkit/shared-storage';
import type { ChosenEntry, EntryRecord, PersistOp } from '../core/index.js';
import { openStoredRecord, openValue, sealStoredRecord, sealValue } from './codec.js';
import { UuidBuckets, UUID_BUCKET_MS_DEFAULT } from './uuidBuckets.js';

export interface EntityLogState {
  maxChosen: bigint;
  /** The record of maxChosen + 1, if this replica holds one. */
  active?: EntryRecord;
  /** The chosen record of maxChosen, if still in the plog. */
  last?: EntryRecord;
}

export interface Plog {
  load(entityId: bigint): Promise<EntityLogState>;
  /** Durably write every op in one batch (records, maxChosen, uuids of chosen records). */
  write(ops: PersistOp[], nowMs: number): Promise<void>;
  /** Chosen records fromEntry.. (stops at the first gap), at most maxNum. */
  chosenRange(entityId: bigint, fromEntry: bigint, maxNum: number): Promise<ChosenEntry[]>;
  getRecord(entityId: bigint, entry: bigint): Promise<EntryRecord | undefined>;
  /** Chosen on the entity at or after sinceMs. */
  hasUuid(entityId: bigint, uuid: bigint, sinceMs: number): Promise<boolean>;
  /**
   * The chosen uuids whose time bucket overlaps [fromMs, toMs), in time order, each with an
   * upper bound of its row's time (optional: without it the engine's uuid window is off and
   * every lookup reads the index).
   */
  uuidTimes?(fromMs: number, toMs: number): AsyncIterable<UuidTime>;
  /** Delete chosen records with entry <= upTo written before beforeMs; returns how many. */
  expire(entityId: bigint, upTo: bigint, beforeMs: number): Promise<number>;
  /** Drop the chosen-uuid index rows (of every entity) written before beforeMs; returns how many. */
  expireUuids(beforeMs: number): Promise<number>;
  /** After GetAll: drop records <= upTo and set maxChosen (one batch). */
  resetTo(entityId: bigint, upTo: bigint): Promise<void>;
  /** Entities that have any state here. */
  entities(): Promise<bigint[]>;
  /** Replica-wide durable settings (voting status, incarnation, fence): read one. */
  getSys<T>(name: string): Promise<T | undefined>;
  /** Durably (synced) set or, with undefined, delete one replica-wide setting. */
  putSys(name: string, value: unknown): Promise<void>;
  readonly syncCount: number;
  close(): Promise<void>;
}

/** A chosen uuid of an entity and (an upper bound of) when its dedup row was written. */
export interface UuidTime {
  entityId: bigint;
  uuid: bigint;
  atMs: number;
}

const ek = (e: bigint, k: bigint) => concatKey(encodeBigintKey(e), encodeBigintKey(k));

export class LevelPlog implements Plog {
  private readonly rec: Keyspace;
  private readonly meta: Keyspace;
  private readonly uuid: Keyspace;
  private readonly sys: Keyspace;
  private readonly writer: GroupCommitWriter;
  /** Time buckets of the uuid index: expiry drops whole buckets (uuidt keyspace). */
  readonly uuidBuckets: UuidBuckets;

  private constructor(private readonly store: Store, bucketMs: number) {
    this.rec = store.keyspace('rec');
    this.meta = store.keyspace('meta');
    this.uuid = store.keyspace('uuid');
    this.sys = store.keyspace('sys');
    this.writer = new GroupCommitWriter(store);
    this.uuidBuckets = new UuidBuckets(store.keyspace('uuidt'), this.uuid, this.writer, (v) => openValue<number>(v), bucketMs);
  }

  /** verify: check every WAL/table checksum first; damage throws StoreDamagedError (shared-storage). */
  static async open(where: string | { memory: true }, opts: { uuidBucketMs?: number; verify?: boolean } = {}): Promise<LevelPlog> {
    const plog = new LevelPlog(await openStore(where, { verify: opts.verify }), opts.uuidBucketMs ?? UUID_BUCKET_MS_DEFAULT);
    await plog.indexUuidTimes();
    return plog;
  }

  /** Plogs written before the time index existed: index their uuid rows once. */
  private async indexUuidTimes(): Promise<void> {
    const marker = new TextEncoder().encode('uuidt');
    if (await this.sys.get(marker)) return;
    let ops: BatchOp[] = [];
    for await (const [k, v] of this.uuid.range()) {
      const e = decodeBigintKeyAt(k, 0);
      ops.push(this.uuidBuckets.put(e.value, decodeBigintKeyAt(k, e.end).value, openValue<number>(v)));
      if (ops.length >= 1000) {
        await this.writer.write(ops);
        ops = [];
      }
    }
    ops.push(this.sys.put(marker, sealValue(true)));
    await this.writer.write(ops);
  }

  get syncCount(): number {
    return this.store.syncCount;
  }

  async load(entityId: bigint): Promise<EntityLogState> {
    const m = await this.meta.get(encodeBigintKey(entityId));
    let maxChosen = m ? openValue<{ maxChosen: bigint }>(m).maxChosen : 0n;
    let active = await this.getRecord(entityId, maxChosen + 1n);
    // a chosen record can be newer than meta only if written by an older version; roll forward
    while (active?.chosen) {
      maxChosen++;
      active = await this.getRecord(entityId, maxChosen + 1n);
    }
    const last = maxChosen > 0n ? await this.getRecord(entityId, maxChosen) : undefined;
    return { maxChosen, active, last };
  }

  /**
   * One logical write. Each entity's ops (records, uuids, maxChosen) stay in one atomic batch;
   * many entities are split over several synced batches when they exceed the writer's
   * batchOpsMax (a crash between them loses only whole entities' steps, which were not yet
   * acknowledged). The engine bounds uuids per value so one entity always fits.
   */
  async write(ops: PersistOp[], nowMs: number): Promise<void> {
    const byEntity = new Map<bigint, BatchOp[]>();
    const maxByEntity = new Map<bigint, bigint>();
    for (const op of ops) {
      let b = byEntity.get(op.entityId);
      if (!b) byEntity.set(op.entityId, (b = []));
      b.push(this.rec.put(ek(op.entityId, op.entry), sealStoredRecord({ record: op.record, at: nowMs })));
      const cur = maxByEntity.get(op.entityId);
      if (cur === undefined || op.maxChosen > cur) maxByEntity.set(op.entityId, op.maxChosen);
      if (op.record.chosen) for (const u of op.record.uuids) b.push(this.uuid.put(ek(op.entityId, u), sealValue(nowMs)), this.uuidBuckets.put(op.entityId, u, nowMs));
    }
    for (const [e, maxChosen] of maxByEntity) byEntity.get(e)!.push(this.meta.put(encodeBigintKey(e), sealValue({ maxChosen })));
    const max = this.writer.batchOpsMax;
    let batch: BatchOp[] = [];
    const pending: Promise<void>[] = [];
    for (const b of byEntity.values()) {
      if (batch.length > 0 && batch.length + b.length > max) {
        pending.push(this.writer.write(batch));
        batch = [];
      }
      batch.push(...b);
    }
    if (batch.length > 0) pending.push(this.writer.write(batch));
    await Promise.all(pending);
  }

  async getRecord(entityId: bigint, entry: bigint): Promise<EntryRecord | undefined> {
    const b = await this.rec.get(ek(entityId, entry));
    return b ? openStoredRecord(b).record : undefined;
  }

  async chosenRange(entityId: bigint, fromEntry: bigint, maxNum: number): Promise<ChosenEntry[]> {
    // point reads: the common case is one or two entries, and an iterator costs more
    const out: ChosenEntry[] = [];
    for (let entry = fromEntry; out.length < maxNum; entry++) {
      const r = await this.getRecord(entityId, entry);
      if (!r || !r.chosen) break;
      out.push({ entry, record: r });
    }
    return out;
  }

  async hasUuid(entityId: bigint, uuid: bigint, sinceMs: number): Promise<boolean> {
    const b = await this.uuid.get(ek(entityId, uuid));
    return b !== undefined && openValue<number>(b) >= sinceMs;
  }

  uuidTimes(fromMs: number, toMs: number): AsyncIterable<UuidTime> {
    return this.uuidBuckets.between(fromMs, toMs);
  }

  async expire(entityId: bigint, upTo: bigint, beforeMs: number): Promise<number> {
    const ops: BatchOp[] = [];
    for await (const [k, v] of this.rec.range({ gte: ek(entityId, 0n), lte: ek(entityId, upTo) })) {
      const s = openStoredRecord(v);
      // An entity's records are written in entry order, so the first one young enough to
      // keep ends the sweep: a sweep visits what it deletes plus one record, not the whole
      // plog every expireCheckMs (it did, decoding each: ~1.3 % of an acceptor's time in a
      // 20 s bench, growing with the plog). A later rewrite of an earlier entry only delays
      // the expiry of the ones after it.
      if (s.at >= beforeMs) break;
      if (s.record.chosen) ops.push(this.rec.del(k));
    }
    await this.writeChunked(ops);
    return ops.length;
  }

  expireUuids(beforeMs: number): Promise<number> {
    return this.uuidBuckets.expire(beforeMs);
  }

  /** Deletes need no atomicity across chunks: each stays within batchOpsMax. */
  private async writeChunked(ops: BatchOp[]): Promise<void> {
    const max = this.writer.batchOpsMax;
    for (let i = 0; i < ops.length; i += max) await this.writer.write(ops.slice(i, i + max));
  }

  async resetTo(entityId: bigint, upTo: bigint): Promise<void> {
    const ops: BatchOp[] = [];
    for await (const [k] of this.rec.range({ gte: ek(entityId, 0n), lte: ek(entityId, upTo) })) ops.push(this.rec.del(k));
    // meta first: records <= upTo left over by a crash in between are chosen and harmless
    await this.writer.write([this.meta.put(encodeBigintKey(entityId), sealValue({ maxChosen: upTo }))]);
    await this.writeChunked(ops);
  }

  async entities(): Promise<bigint[]> {
    const out: bigint[] = [];
    for await (const [k] of this.meta.range()) out.push(decodeBigintKey(k));
    return out;
  }

  async getSys<T>(name: string): Promise<T | undefined> {
    const b = await this.sys.get(new TextEncoder().encode(name));
    return b ? openValue<T>(b) : undefined;
  }

  putSys(name: string, value: unknown): Promise<void> {
    const k = new TextEncoder().encode(name);
    return this.writer.write([value === undefined ? this.sys.del(k) : this.sys.put(k, sealValue(value))]);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
