// Serving a peer's catch-up request from the plog: chosen records from `fromEntry` on, at most
// maxCatchUpNum and catchUpBytesMax of values (the first record always goes), or "expired"
// when the plog no longer holds what was chosen there (the peer then copies by GetAll).
import type { CatchUpRsp, EntityCore } from '../core/index.js';
import type { Plog } from '../storage/plog.js';

export interface CatchUpDeps {
  acceptorId: number;
  plog: Plog;
  maxCatchUpNum: number;
  catchUpBytesMax: number;
  /** Resolves once everything queued for the plog is durable. */
  flushed(): Promise<void>;
}

export async function catchUpResponse(d: CatchUpDeps, core: EntityCore, fromEntry: bigint, maxNum: number): Promise<CatchUpRsp> {
  const entityId = core.entityId;
  const n = Math.max(1, Math.min(maxNum, d.maxCatchUpNum));
  let all = await d.plog.chosenRange(entityId, fromEntry, n);
  if (all.length === 0 && core.maxChosen >= fromEntry) {
    // the chosen record may still be in the batch being written: that is no expiry
    await d.flushed();
    all = await d.plog.chosenRange(entityId, fromEntry, n);
  }
  // keep the response within one peer message: the first record always goes
  const entries = all.slice(0, 1);
  let bytes = all[0]?.record.value?.byteLength ?? 0;
  for (const ce of all.slice(1)) {
    bytes += ce.record.value?.byteLength ?? 0;
    if (bytes > d.catchUpBytesMax) break;
    entries.push(ce);
  }
  const expired = entries.length === 0 && core.maxChosen >= fromEntry && !core.getAllInProgress;
  return { kind: 'catchUpRsp', srcAcceptorId: d.acceptorId, entityId, entries, maxChosenEntry: core.maxChosen, expired };
}
