// The entity's catch-up request in flight: at most one at a time (to one peer), sent again to
// the next peer once it has gone unanswered for catchUpTimeoutMs; and, for a learner below
// its horizon, the turn of peers it learns from (the next one each time, at most one ask per
// catchUpTimeoutMs while one is in flight). Pure.
import type { CatchUpReq } from './messages.js';
import type { Outbound } from './effects.js';

export interface CatchUpAskConfig {
  acceptorId: number;
  acceptorNum: number;
  catchUpTimeoutMs: number;
  maxCatchUpNum: number;
}

export class CatchUpAsk {
  /** The peer asked and not answered yet (null: no ask in flight). */
  peer: number | null = null;
  private since = 0;
  private learnPeer = 0;
  private learnAskedAt = -Infinity;

  constructor(private readonly cfg: CatchUpAskConfig, private readonly entityId: bigint) {}

  /** Ask `peer` for the chosen entries from `fromEntry`, unless an ask in flight is still fresh. */
  start(peer: number, fromEntry: bigint, now: number): Outbound | null {
    if (this.peer !== null && now - this.since < this.cfg.catchUpTimeoutMs) return null;
    this.peer = peer;
    this.since = now;
    const msg: CatchUpReq = { kind: 'catchUpReq', srcAcceptorId: this.cfg.acceptorId, entityId: this.entityId, fromEntry, maxNum: this.cfg.maxCatchUpNum };
    return { to: peer, msg };
  }

  /** The answer came (whatever it held). */
  answered(): void {
    this.peer = null;
  }

  /** Timer: an ask unanswered for catchUpTimeoutMs goes to the next peer. */
  retryIfLost(fromEntry: bigint, now: number): Outbound | null {
    if (this.peer === null || now - this.since < this.cfg.catchUpTimeoutMs) return null;
    const n = this.cfg.acceptorNum;
    const next = (this.peer + 1) % n === this.cfg.acceptorId ? (this.peer + 2) % n : (this.peer + 1) % n;
    this.peer = null;
    return this.start(next, fromEntry, now);
  }

  /** A learner asks the next peer in turn (not while a fresh ask of its own is in flight). */
  learn(fromEntry: bigint, now: number): Outbound | null {
    if (now - this.learnAskedAt < this.cfg.catchUpTimeoutMs && this.peer !== null) return null;
    const n = this.cfg.acceptorNum;
    this.learnPeer = (this.learnPeer + 1) % n;
    if (this.learnPeer === this.cfg.acceptorId) this.learnPeer = (this.learnPeer + 1) % n;
    this.learnAskedAt = now;
    this.peer = null;
    return this.start(this.learnPeer, fromEntry, now);
  }
}
