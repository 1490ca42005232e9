// The plog expiry sweep: delete chosen, applied plog entries older than plogExpireTimeMs (the
// data store is the checkpoint; each entity's newest chosen record stays), and the uuid dedup
// rows past their window, by whole time buckets. The plog is the write-ahead log of the
// unsynced data store, so nothing is deleted before a data-store checkpoint covers it.
import type { EntityCore } from '../core/index.js';
import type { Plog } from '../storage/plog.js';
import type { Db } from '../storage/db.js';

export interface ExpiryDeps {
  plog: Plog;
  db: Db;
  entities: ReadonlyMap<bigint, EntityCore>;
  /** The data store's maxCommittedEntry per entity, as the applier knows it. */
  committed(entityId: bigint): bigint;
  stopped(): boolean;
  plogExpireTimeMs: number;
  uuidWindowMs: number;
}

/** One sweep; returns the plog records deleted. */
export async function expireSweep(d: ExpiryDeps, now: number): Promise<number> {
  const targets: [bigint, bigint][] = [];
  for (const [entityId, core] of d.entities) {
    if (core.getAllInProgress) continue;
    const mc = d.committed(entityId);
    const upTo = mc < core.maxChosen ? mc : core.maxChosen - 1n; // keep the newest chosen record
    if (upTo >= 1n) targets.push([entityId, upTo]);
  }
  // Every apply counted in `targets` has resolved, so one checkpoint now covers them all.
  if (targets.length > 0 && !d.stopped()) await d.db.checkpoint?.();
  let expired = 0;
  for (const [entityId, upTo] of targets) {
    if (d.stopped()) return expired;
    if (d.entities.get(entityId)?.getAllInProgress) continue;
    expired += await d.plog.expire(entityId, upTo, now - d.plogExpireTimeMs);
  }
  if (d.stopped()) return expired;
  await d.plog.expireUuids(now - d.uuidWindowMs);
  await d.db.expireUuids?.(now - d.uuidWindowMs);
  return expired;
}
