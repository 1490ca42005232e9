// Incarnation fencing (issue 17, the recovery gap), pure.
//
// The recovery floor covers every promise the other acceptors had seen when they handed over
// their state, but not one still on the wire: acceptor A promised ballot b to proposer P and
// lost its disk before P's Prepare reached anyone else. A re-learns (floor below b), votes for
// another value at a ballot below b with a third acceptor, and P, counting A's forgotten
// promise, completes a "majority" at b and chooses a second value.
//
// The fence: a recovering acceptor takes an incarnation above every one it had before (the
// acceptors it re-learns from refuse a lower one and say which they know), and each of them
// records that incarnation durably BEFORE handing over its state. Every reply of every acceptor
// says its own incarnation and the incarnations it knows of the others. A proposer drops a
// reply whose incarnation is below one it has seen for that acceptor. Why that is enough: P's
// quorum is A's old reply plus replies of others S; the re-learning majority R of the others
// meets S (|S| + |R| > n - 1). A member X of both either promised b before it handed over its
// state (then the floor is above b) or after (then X's reply to P names A's new incarnation and
// P drops A's old reply). The same holds for votes in phase 2.
import { type Ballot } from './ballot.js';
import type { AcceptorReply } from './acceptor.js';
import { PhaseTally, type Phase1Result, type Phase2Result } from './proposer.js';

/** Who sent a reply, and whom it knows at which incarnation (index = acceptor id). */
export interface ReplyOrigin {
  acceptor: number;
  incarnation: bigint;
  known: readonly bigint[];
}

/** The highest incarnation seen per acceptor, from every reply so far (it only grows). */
export class IncarnationView {
  private readonly max: bigint[];

  constructor(from: readonly bigint[] = []) {
    this.max = [...from];
  }

  /** The view as plain data (index = acceptor id). */
  snapshot(): bigint[] {
    return Array.from({ length: this.max.length }, (_, i) => this.max[i] ?? 0n);
  }

  observe(o: ReplyOrigin): void {
    this.raise(o.acceptor, o.incarnation);
    o.known.forEach((inc, i) => this.raise(i, inc));
  }

  of(acceptor: number): bigint {
    return this.max[acceptor] ?? 0n;
  }

  /** A reply of an incarnation that is known to be over. */
  isStale(o: ReplyOrigin): boolean {
    return o.incarnation < this.of(o.acceptor);
  }

  private raise(i: number, inc: bigint): void {
    if (!Number.isInteger(i) || i < 0 || i > 1023) return;
    if (inc > (this.max[i] ?? 0n)) this.max[i] = inc;
  }
}

/**
 * One phase's tally with fencing: replies are kept per acceptor and the decision is taken over
 * the replies of incarnations not known to be over (recomputed on every reply, in arrival
 * order, so a later reply that names a newer incarnation takes back an earlier one).
 */
export class FencedTally {
  private readonly replies: { origin: ReplyOrigin; reply: AcceptorReply }[] = [];
  private failed = 0;
  private decision: PhaseTally | null = null;

  constructor(
    readonly bal: Ballot,
    readonly total: number,
    readonly quorum: number,
    private readonly view: IncarnationView,
  ) {}

  add(origin: ReplyOrigin, reply: AcceptorReply): void {
    if (this.decision) return;
    if (this.replies.some((r) => r.origin.acceptor === origin.acceptor)) return; // one answer per acceptor
    this.view.observe(origin);
    this.replies.push({ origin, reply });
    this.recount();
  }

  fail(): void {
    if (this.decision) return;
    this.failed++;
    this.recount();
  }

  /** Acceptors whose reply was dropped as stale (for the error message). */
  get stale(): number[] {
    return this.replies.filter((r) => this.view.isStale(r.origin)).map((r) => r.origin.acceptor);
  }

  private current: PhaseTally = new PhaseTally({ n: 0n, proposerId: 0n }, 1, 1);

  private recount(): void {
    const t = new PhaseTally(this.bal, this.total, this.quorum);
    for (const r of this.replies) {
      if (this.view.isStale(r.origin)) t.fail();
      else t.add(r.reply);
    }
    for (let i = 0; i < this.failed; i++) t.fail();
    this.current = t;
    if (t.state !== 'pending') this.decision = t;
  }

  get state(): 'pending' | 'ok' | 'rejected' {
    return this.decision?.state ?? 'pending';
  }

  /** The replies the decision counted (not stale), in arrival order. */
  get counted(): AcceptorReply[] {
    return this.replies.filter((r) => !this.view.isStale(r.origin)).map((r) => r.reply);
  }

  phase1(): Phase1Result {
    return (this.decision ?? this.current).phase1();
  }

  phase2(): Phase2Result {
    return (this.decision ?? this.current).phase2();
  }
}

/** What an acceptor asked by a recovering peer does with the peer's incarnation claim. */
export type IncarnationClaim = { serve: true; record: boolean } | { serve: false; known: bigint };

/**
 * A recovering acceptor claims (incarnation, nonce). Serve it when the claim is above what is
 * known (record it first), or is exactly the recorded one (a later page, or the same recovery
 * after a crash); otherwise refuse and say what is known, so it restarts above that.
 */
export function judgeClaim(known: { incarnation: bigint; nonce: string } | undefined, inc: bigint, nonce: string): IncarnationClaim {
  const k = known ?? { incarnation: 0n, nonce: '' };
  if (inc > k.incarnation) return { serve: true, record: true };
  if (inc === k.incarnation && nonce !== '' && nonce === k.nonce) return { serve: true, record: false };
  return { serve: false, known: k.incarnation };
}
