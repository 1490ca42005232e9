// The at-most-once questions about a request uuid on an entity, within the dedup window:
// chosen here and not written yet (the commit pipeline's in-memory index), chosen here (the
// plog's uuid index), or applied (the data store's rows, with the stored reply).
import type { Plog } from '../storage/plog.js';
import type { Db } from '../storage/db.js';
import type { CommitPipeline } from './commitPipeline.js';

export interface UuidLookupHost {
  plog(): Plog;
  db(): Db;
  pipeline: CommitPipeline;
  windowMs: number;
}

export class UuidLookup {
  constructor(private readonly h: UuidLookupHost) {}

  /** Chosen here or applied within the window (survives restarts once written). */
  async seen(entityId: bigint, uuid: bigint, now: number): Promise<boolean> {
    const since = now - this.h.windowMs;
    // chosen here, its record not written yet (kept back or in the batch being written)
    if (this.h.pipeline.hasUnwrittenUuid(entityId, uuid)) return true;
    if (await this.h.plog().hasUuid(entityId, uuid, since)) return true;
    return (await this.h.db().hasUuid?.(entityId, uuid, since)) ?? false;
  }

  /** undefined: not chosen; applied: false: chosen, not applied here; else the stored reply. */
  async reply(entityId: bigint, uuid: bigint, now: number): Promise<{ applied: boolean; reply?: Uint8Array } | undefined> {
    const db = this.h.db();
    if (db.uuidRow) {
      const since = now - this.h.windowMs;
      // one read of each index (seen() would read the data store's row again)
      const row = await db.uuidRow(entityId, uuid, since);
      if (row) return { applied: true, reply: row.reply };
      if (this.h.pipeline.hasUnwrittenUuid(entityId, uuid)) return { applied: false };
      return (await this.h.plog().hasUuid(entityId, uuid, since)) ? { applied: false } : undefined;
    }
    return (await this.seen(entityId, uuid, now)) ? { applied: false } : undefined;
  }
}
