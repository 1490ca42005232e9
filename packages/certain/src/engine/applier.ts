// The applier: the data store lags the log, and chosen entries are applied to it in order,
// per entity one chain at a time, at most maxCommitNum per step (each step one atomic batch
// with the entity's maxCommittedEntry), in the background after a short delay so consecutive
// entries of a hot entity share one data-store fsync, and on demand (replay, read barriers).
import type { Logger } from 'pino';
import type { EntityCore } from '../core/index.js';
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
}

export class Applier {
  /** Per entity: the data store's maxCommittedEntry as known here. */
  readonly committed = new Map<bigint, bigint>();
  private readonly chains = new Map<bigint, Promise<bigint>>();
  private readonly scheduled = new Set<bigint>();

  constructor(private readonly h: ApplierHost) {}

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
      const plog = this.h.plog();
      const db = this.h.db();
      let mc = this.committed.get(entityId) ?? (await db.maxCommitted(entityId));
      while (mc < upTo) {
        const n = Math.min(this.h.maxCommitNum, Number(upTo - mc));
        let recs = await plog.chosenRange(entityId, mc + 1n, n);
        if (recs.length === 0) {
          // the chosen record may still be in the batch being written
          await (lazy ? this.h.written() : this.h.flushed());
          recs = await plog.chosenRange(entityId, mc + 1n, n);
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
