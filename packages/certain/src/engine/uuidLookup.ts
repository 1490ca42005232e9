// The at-most-once questions about a request uuid on an entity, within the dedup window. A
// uuid the in-memory window (uuidWindow.ts) does not hold was not chosen here: answered
// without a read. Otherwise (a retry, a collision, the window incomplete): chosen here and not
// written yet (the commit pipeline's in-memory index), chosen here (the plog's uuid index), or
// applied (the data store's rows, with the stored reply).
import type { PersistOp } from '../core/index.js';
import type { Plog, UuidTime } from '../storage/plog.js';
import type { Db } from '../storage/db.js';
import type { CommitPipeline } from './commitPipeline.js';
import { UuidWindow, UUID_WINDOW_SLACK_MS } from './uuidWindow.js';

export interface UuidLookupHost {
  plog(): Plog;
  db(): Db;
  pipeline: CommitPipeline;
  windowMs: number;
  /** Most uuids the in-memory window holds (uuidWindowEntriesMax). */
  entriesMax: number;
}

export class UuidLookup {
  readonly window: UuidWindow;

  constructor(private readonly h: UuidLookupHost) {
    this.window = new UuidWindow({ windowMs: h.windowMs, entriesMax: h.entriesMax });
  }

  /**
   * Fill the window from both stores' uuid time indexes (at start, before any message is
   * handled), one time bucket of each store after the other so the window stays in time order.
   */
  async rebuild(nowMs: number): Promise<void> {
    const plog = this.h.plog();
    const db = this.h.db();
    if (!plog.uuidTimes || !db.uuidTimes) {
      this.window.enabled = false;
      return;
    }
    const stepMs = UUID_WINDOW_SLACK_MS;
    const from = Math.floor((nowMs - this.h.windowMs - stepMs) / stepMs) * stepMs;
    const add = (t: UuidTime) => this.window.add(t.entityId, t.uuid, t.atMs, nowMs);
    let t = from;
    for (; t <= nowMs; t += stepMs) {
      for await (const u of plog.uuidTimes(t, t + stepMs)) add(u);
      for await (const u of db.uuidTimes(t, t + stepMs)) add(u);
    }
    // rows stamped after now (the clock was set back since): the stores count them as recent
    for await (const u of plog.uuidTimes(t, Number.MAX_SAFE_INTEGER)) add(u);
    for await (const u of db.uuidTimes(t, Number.MAX_SAFE_INTEGER)) add(u);
  }

  /** Chosen records about to be persisted: their uuids are chosen here from now on. */
  noteChosen(ops: PersistOp[], nowMs: number): void {
    for (const op of ops) {
      if (!op.record.chosen) continue;
      for (const u of op.record.uuids) this.window.add(op.entityId, u, nowMs, nowMs);
    }
  }

  /** A GetAll copied the entity's rows: their uuids were chosen (by the cluster). */
  async noteCopied(entityId: bigint, nowMs: number): Promise<void> {
    const db = this.h.db();
    if (!db.entityUuids) {
      this.window.enabled = false;
      return;
    }
    try {
      for await (const u of db.entityUuids(entityId, nowMs - this.h.windowMs)) this.window.add(entityId, u.uuid, u.atMs, nowMs);
    } catch {
      // the copied rows could not be listed: every lookup reads the stores from now on
      this.window.enabled = false;
    }
  }

  /** Chosen here or applied within the window (survives restarts once written). */
  async seen(entityId: bigint, uuid: bigint, now: number): Promise<boolean> {
    if (this.window.knownFresh(entityId, uuid, now)) return false;
    const since = now - this.h.windowMs;
    // chosen here, its record not written yet (kept back or in the batch being written)
    if (this.h.pipeline.hasUnwrittenUuid(entityId, uuid)) return true;
    if (await this.h.plog().hasUuid(entityId, uuid, since)) return true;
    return (await this.h.db().hasUuid?.(entityId, uuid, since)) ?? false;
  }

  /** undefined: not chosen; applied: false: chosen, not applied here; else the stored reply. */
  async reply(entityId: bigint, uuid: bigint, now: number): Promise<{ applied: boolean; reply?: Uint8Array } | undefined> {
    if (this.window.knownFresh(entityId, uuid, now)) return undefined;
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
