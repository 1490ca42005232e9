// Loading one entity's worker from the stores: maxChosen is the larger of the plog's and the
// data store's maxCommitted (an unsynced data store can be ahead of a plog that lost chosen
// marks, and a GetAll copy moves the data store past the plog); the active record and the
// last chosen one are taken only when the plog is the one that knows maxChosen.
import { EntityCore, ballotOwner } from '../core/index.js';
import type { Plog } from '../storage/plog.js';
import type { Db } from '../storage/db.js';
import type { CertainTuning } from './options.js';

export interface LoadedEntity {
  core: EntityCore;
  /** The data store's maxCommittedEntry for the entity. */
  maxCommitted: bigint;
}

export async function loadEntity(
  plog: Plog, db: Db, tuning: CertainTuning, ids: { acceptorId: number; acceptorNum: number }, entityId: bigint,
): Promise<LoadedEntity> {
  const st = await plog.load(entityId);
  const mc = await db.maxCommitted(entityId);
  const maxChosen = mc > st.maxChosen ? mc : st.maxChosen;
  const winner = maxChosen === 0n ? 0 : st.last && maxChosen === st.maxChosen ? ballotOwner(st.last.valueId, ids.acceptorNum) : -1;
  const core = new EntityCore(
    { ...tuning, acceptorId: ids.acceptorId, acceptorNum: ids.acceptorNum },
    entityId, maxChosen, maxChosen === st.maxChosen ? st.active : undefined, winner,
  );
  if (st.last && maxChosen === st.maxChosen) core.lastChosen = { entry: maxChosen, record: st.last };
  return { core, maxCommitted: mc };
}
