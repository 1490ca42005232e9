// The ACK frame a node sends on the inbound stream of a peer: what it applied of that peer,
// its durable applied-uuid vector, its peer list, the uuid ranges it lost, its membership view.
import { Writer } from '../core/codec.js';
import { F, frame } from './replFrames.js';

/**
 * `cap` (Peer.ackCap) bounds every claim while a full sync we sent may still be merged
 * by the receiver; see Peer.ackCap for why.
 */
export function encodeAck(seq: bigint, durableU: ReadonlyMap<number, bigint>, cap: ReadonlyMap<number, bigint> | undefined, peers: string, lost: ReadonlyArray<readonly [bigint, bigint]>, members: string): Buffer {
  const w = new Writer(256);
  w.u64(seq);
  w.varint(durableU.size);
  for (const [o, u] of durableU) {
    const c = cap ? (cap.get(o) ?? 0n) : u;
    w.varint(o);
    w.u64(u < c ? u : c);
  }
  w.latin1(peers);
  w.varint(lost.length);
  for (const [lo, hi] of lost) {
    w.u64(lo);
    w.u64(hi);
  }
  w.latin1(members);
  return frame(F.ACK, w.result());
}
