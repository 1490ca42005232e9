// The applier: the data store lags the log, and chosen entries are applied to it in order,
// per entity one chain at a time, at most maxCommitNum per step (each step one atomic batch
// with the entity's maxCommittedEntry), in the background after a short delay so consecutive
// entries of a hot entity share one data-store fsync, and on demand (replay, read barriers).
// The chosen records it applies were written to the plog a moment before: it keeps those in
// memory (`noteWritten`, bounded) instead of reading them back, which was 5-6 % of every
// server's time (issue 21); only a record it does not hold (after a restart, over the bound)
// is read from the plog. A record is taken only once the plog holds it, as before.
import type { Logger } from 'pino';
import type { ChosenEntry, EntityCore, PersistOp } from '../core/index.js';
import type { Plog } from '../storage/plog.js';
import type { Db } from '../storage/db.js';

export interface ApplierHost {
  plog(): Plog;
  db(): Db;
  /** Resolves once everything queued for the plog before the call is durable. */
  flushed(): Promise<void>;
  /** The same without forcing kept-back chosen marks out (CommitPipeline.written). */
  written(): Promise<void>;
  entity(entityId: bigint): EntityCore | undefined;
  stopped(): boolean;
  log: Logger;
  maxCommitNum: number;
  applyDelayMs: number;
  /** Most written chosen records held for the applier (over it they are read back). */
  writtenRecordsMax: number;
}

export class Applier {
  /** Per entity: the data store's maxCommittedEntry as known here. */
  readonly committed = new Map<bigint, bigint>();
  private readonly chains = new Map<bigint, Promise<bigint>>();
  private readonly scheduled = new Set<bigint>();
  /** Chosen records the plog holds and this replica has not applied yet: entity -> entry -> record. */
  private readonly written = new Map<bigint, Map<bigint, ChosenEntry>>();
  private writtenCount = 0;
  /**
   * Per entity: every chosen record above this entry that the plog holds was written by this
   * process and noted (the entity's maxChosen when it was loaded, raised past any record the
   * bound made us skip): a record above it that is not held is not written yet, no read.
   */
  private readonly heldAbove = new Map<bigint, bigint>();

  constructor(private readonly h: ApplierHost) {}

  /** The entity was loaded with this maxChosen (records up to it were written before). */
  loaded(entityId: bigint, maxChosen: bigint): void {
    this.heldAbove.set(entityId, maxChosen);
  }

  /** A plog batch is durable: keep its chosen records above what is applied, for the apply. */
  noteWritten(ops: PersistOp[]): void {
    for (const op of ops) {
      if (!op.record.chosen) continue;
      if (op.entry <= (this.committed.get(op.entityId) ?? 0n)) continue;
      if (this.writtenCount >= this.h.writtenRecordsMax) {
        const above = this.heldAbove.get(op.entityId);
        if (above !== undefined && above < op.entry) this.heldAbove.set(op.entityId, op.entry);
        continue;
      }
      let m = this.written.get(op.entityId);
      if (!m) this.written.set(op.entityId, (m = new Map()));
      if (!m.has(op.entry)) this.writtenCount++;
      m.set(op.entry, { entry: op.entry, record: op.record });
    }
  }

  /** Chosen records from..from+n-1 (stops at a gap): held ones first, else the plog's. */
  private async chosenFrom(entityId: bigint, from: bigint, n: number): Promise<ChosenEntry[]> {
    const m = this.written.get(entityId);
    const first = m?.get(from);
    if (!m || !first) {
      const above = this.heldAbove.get(entityId);
      if (above !== undefined && from > above) return [];
      return this.h.plog().chosenRange(entityId, from, n);
    }
    const out = [first];
    for (let e = from + 1n; out.length < n; e++) {
      const r = m.get(e);
      if (!r) break;
      out.push(r);
    }
    return out;
  }

  /** Forget held records up to `upTo` (applied, or below a GetAll copy). */
  private forget(entityId: bigint, upTo: bigint): void {
    const m = this.written.get(entityId);
    if (!m) return;
    for (const e of m.keys()) {
      if (e > upTo) continue;
      m.delete(e);
      this.writtenCount--;
    }
    if (m.size === 0) this.written.delete(entityId);
  }

  maxCommitted(entityId: bigint): bigint {
    return this.committed.get(entityId) ?? 0n;
  }

  /**
   * Apply every chosen entry up to `upTo` (stops at a gap); returns maxCommittedEntry.
   * `lazy` (background applies): a chosen record not in the plog yet is waited for until the
   * next synced batch carries it, instead of forcing an fsync for it alone.
   */
  applyUpTo(entityId: bigint, upTo: bigint, lazy = false): Promise<bigint> {
    const prev = this.chains.get(entityId) ?? Promise.resolve(0n);
    const next = prev.catch(() => 0n).then(async () => {
      const db = this.h.db();
      let mc = this.committed.get(entityId) ?? (await db.maxCommitted(entityId));
      this.forget(entityId, mc);
      while (mc < upTo) {
        const n = Math.min(this.h.maxCommitNum, Number(upTo - mc));
        let recs = await this.chosenFrom(entityId, mc + 1n, n);
        if (recs.length === 0) {
          // the chosen record may still be in the batch being written
          await (lazy ? this.h.written() : this.h.flushed());
          recs = await this.chosenFrom(entityId, mc + 1n, n);
          if (recs.length === 0) break;
        }
        if (this.h.entity(entityId)?.getAllInProgress) return mc; // GetAll owns the data now
        if (db.commitMany) {
          await db.commitMany(entityId, recs.map((r) => ({ entry: r.entry, value: r.record.value, uuids: r.record.uuids })));
        } else {
          for (const r of recs) await db.commit(entityId, r.entry, r.record.value);
        }
        mc = recs[recs.length - 1]!.entry;
        this.committed.set(entityId, mc);
        this.forget(entityId, mc);
      }
      return mc;
    });
    this.chains.set(entityId, next);
    return next;
  }

  /** Apply newly chosen entries of the entity in the background, coalesced. */
  schedule(entityId: bigint): void {
    if (this.scheduled.has(entityId)) return;
    this.scheduled.add(entityId);
    setTimeout(() => {
      this.scheduled.delete(entityId);
      const core = this.h.entity(entityId);
      if (!core || core.getAllInProgress || this.h.stopped()) return;
      this.applyUpTo(entityId, core.maxChosen, true).catch((err: unknown) => this.h.log.error({ err, entityId: String(entityId) }, 'apply failed'));
    }, this.h.applyDelayMs);
  }

  /** Wait for the entity's apply in progress, if any (GetAll takes the data over after it). */
  async quiesce(entityId: bigint): Promise<void> {
    await this.chains.get(entityId)?.catch(() => undefined);
  }

  /** Wait for every apply in progress (stop). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }
}
