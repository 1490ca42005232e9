// Re-learning a lost acceptor state (issue 18 item 1). A node whose acceptor state is missing or
// damaged may have promised rounds and accepted values that counted toward a majority. Before it
// votes again it asks the others (RECOVER) for their promise and everything they accepted, page
// by page, and waits for complete answers from a majority of the *other* nodes. Why that is
// enough: any majority it took part in has at least floor(n/2) other members, and any majority
// of the other n-1 nodes meets them, so (a) the largest promise among the answers is at least
// every round it helped a leader start (ballot floor: it never votes below it again and never
// leads a round at or below it), and (b) for every value it helped choose, some answer holds
// that value (or the later round's value, which Paxos makes the same). It then installs, per
// slot, the highest-round entry it heard of, in ascending round order (each install is an
// accept a live acceptor could have made: nothing it says before finishing exposes the order).
// Votes of its earlier incarnation still in flight are fenced by the incarnation numbers.
import type { Entry, Msg } from './types.js';
import { othersMajority } from './types.js';

export interface RecoveryResult {
  floor: number;
  /** Highest-round entry per slot, sorted by round (install order). */
  entries: Entry[];
}

export class Recovery {
  private readonly id: number;
  private readonly n: number;
  private floor = -1;
  private readonly best = new Map<number, Entry>();
  /** Per peer: next slot to ask for, or `done` once its last page arrived. */
  private readonly next = new Map<number, number | 'done'>();
  private lastAskMs = -Infinity;
  private readonly retryMs: number;

  constructor(id: number, n: number, retryMs: number) {
    this.id = id;
    this.n = n;
    this.retryMs = retryMs;
    for (let j = 0; j < n; j++) if (j !== id) this.next.set(j, 0);
  }

  /** How many peers have answered completely. */
  get complete(): number {
    let c = 0;
    for (const v of this.next.values()) if (v === 'done') c++;
    return c;
  }

  /** RECOVER requests to (re)send: at the start and every retryMs to peers not finished. */
  tick(nowMs: number): Msg[] {
    if (nowMs - this.lastAskMs < this.retryMs) return [];
    this.lastAskMs = nowMs;
    const out: Msg[] = [];
    for (const [j, seq] of this.next) if (seq !== 'done') out.push(this.ask(j, seq));
    return out;
  }

  /** A peer restarted: its earlier answers may come from a state it no longer has; ask again. */
  restartPeer(j: number): void {
    if (this.next.has(j)) this.next.set(j, 0);
  }

  /** Takes one STATE page; returns the next request to that peer, if any. */
  onState(msg: Msg): Msg | undefined {
    const at = this.next.get(msg.from);
    if (at === undefined || at === 'done' || msg.seq !== at) return undefined;
    const upTo = msg.upTo ?? msg.seq;
    const total = msg.total ?? 0;
    if (!Number.isSafeInteger(upTo) || !Number.isSafeInteger(total) || upTo < msg.seq) return undefined;
    this.floor = Math.max(this.floor, msg.round);
    for (const e of msg.entries ?? []) {
      const b = this.best.get(e.slot);
      if (!b || e.round > b.round) this.best.set(e.slot, e);
    }
    if (upTo >= total) {
      this.next.set(msg.from, 'done');
      return undefined;
    }
    this.next.set(msg.from, upTo);
    return this.ask(msg.from, upTo);
  }

  finished(): boolean {
    return this.complete >= othersMajority(this.n);
  }

  result(): RecoveryResult {
    let floor = this.floor;
    const entries = [...this.best.values()].sort((a, b) => a.round - b.round || a.slot - b.slot);
    for (const e of entries) floor = Math.max(floor, e.round);
    return { floor, entries };
  }

  private ask(to: number, seq: number): Msg {
    return { type: 'RECOVER', from: this.id, to, round: 0, seq };
  }
}
