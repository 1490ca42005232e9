// When a tombstone's dot is stable (collectable): the rule of causal stability over the
// durable claims of every replica.
import { inLostRange } from '../storage/seqCeiling.js';
import type { Peer } from './replPeer.js';

export interface StabilityView {
  self: number;
  isOut(id: number): boolean;
  /** uuid ranges this node lost in crashes */
  ownLost: ReadonlyArray<readonly [bigint, bigint]>;
  /** our own durable applied-uuid vector (see Replicator.durableU) */
  durableU: ReadonlyMap<number, bigint>;
  peers: ReadonlyMap<number, Peer>;
}

/**
 * A dot (n, u) is stable when we and every known replica have applied n's ops up to u and
 * made them durable (snapshot), so no replica can ever hold the removed add without its
 * removal again. Dots in a range n lost in a crash are never stable: the claims skip over
 * them (n's later ops have higher uuids) while some replicas lack them.
 */
export function stabilityOf(v: StabilityView): (n: number, u: bigint) => boolean {
  const peers = [...v.peers.values()];
  return (n, u) => {
    // a forgotten node sends no more ops and drops its state if it rejoins: its dots are
    // settled by the remover's own dot in the same removal (still checked below)
    if (n !== v.self && v.isOut(n)) return true;
    // a dot its origin may have lost in a crash: replicas that never got it claim past it
    if (inLostRange(n === v.self ? v.ownLost : (v.peers.get(n)?.lostUuids ?? []), u)) return false;
    if ((v.durableU.get(n) ?? 0n) < u) return false;
    for (const p of peers) if ((p.appliedU.get(n) ?? 0n) < u) return false;
    return true;
  };
}
