// Recovery mode of a replica that lost (or cannot prove) its state: which horizon it must
// learn up to before it may vote again. Pure.
//
// Why this horizon is enough. Say the replica, before it lost its disk, promised or accepted
// something for entry e of an entity. The proposer P of that ballot held a record of e when
// it sent (its own prepare is persisted before it is sent; its accept at least in memory), and
// keeps one until e is chosen at P (or P crashes before a PreAuth accept was durable, which
// then counts nowhere). Every other replica is asked, P among them, after the loss: its answer
// for the entity, maxChosen (+1 when it holds a record of maxChosen + 1), is >= e. So every
// entry this replica may have voted on is <= the horizon (the max over all answers), where it
// never votes again (it learns those entries chosen), and above it nobody holds anything of
// its earlier incarnation. Answers from replicas that are recovering themselves do not count.
// The price: a wiped replica waits until every other replica has answered.
import type { HorizonReq, HorizonRsp } from './messages.js';

export interface RecoveryConfig {
  acceptorId: number;
  acceptorNum: number;
  /** Entities per horizon page. */
  pageNum: number;
  /** Ask a silent peer again after this long. */
  retryMs: number;
}

interface PeerState {
  after: bigint | null;
  done: boolean;
  askedAt: number;
}

export class Recovery {
  private readonly peers = new Map<number, PeerState>();
  /** Max horizon per entity over every answer so far. */
  readonly horizons = new Map<bigint, bigint>();

  constructor(readonly cfg: RecoveryConfig) {
    for (let j = 0; j < cfg.acceptorNum; j++) {
      if (j !== cfg.acceptorId) this.peers.set(j, { after: null, done: false, askedAt: -Infinity });
    }
  }

  /** Every other replica answered in full: the horizon is established. */
  get established(): boolean {
    for (const p of this.peers.values()) if (!p.done) return false;
    return true;
  }

  /** Peers still to answer (for logs and status). */
  waitingFor(): number[] {
    return [...this.peers].filter(([, p]) => !p.done).map(([j]) => j);
  }

  /** Requests to send now: a peer not done and not asked within retryMs. */
  poll(now: number): { to: number; msg: HorizonReq }[] {
    const out: { to: number; msg: HorizonReq }[] = [];
    for (const [j, p] of this.peers) {
      if (p.done || now - p.askedAt < this.cfg.retryMs) continue;
      p.askedAt = now;
      out.push({ to: j, msg: this.req(p.after) });
    }
    return out;
  }

  onRsp(rsp: HorizonRsp, now: number): { to: number; msg: HorizonReq }[] {
    const p = this.peers.get(rsp.srcAcceptorId);
    if (!p || p.done || rsp.recovering) return [];
    for (const h of rsp.horizons) {
      const have = this.horizons.get(h.entityId) ?? 0n;
      if (h.horizon > have) this.horizons.set(h.entityId, h.horizon);
    }
    if (rsp.next === null) {
      p.done = true;
      return [];
    }
    p.after = rsp.next;
    p.askedAt = now;
    return [{ to: rsp.srcAcceptorId, msg: this.req(p.after) }];
  }

  private req(after: bigint | null): HorizonReq {
    return { kind: 'horizonReq', srcAcceptorId: this.cfg.acceptorId, after, maxNum: this.cfg.pageNum };
  }
}

/** One page of a horizon answer from (entityId, horizon) pairs sorted by entity id. */
export function horizonPage(
  srcAcceptorId: number, all: { entityId: bigint; horizon: bigint }[], after: bigint | null, maxNum: number,
): HorizonRsp {
  const from = after === null ? all : all.filter((h) => h.entityId > after);
  const n = Math.max(1, maxNum);
  const page = from.slice(0, n).filter((h) => h.horizon > 0n);
  const next = from.length > n ? from[n - 1]!.entityId : null;
  return { kind: 'horizonRsp', srcAcceptorId, recovering: false, horizons: page, next };
}
