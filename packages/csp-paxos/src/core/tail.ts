// What a leader still has in flight after it handed its round on. A leader hands over as soon
// as it has *sent* the last batch of its round (not once that batch is acknowledged), so the
// next leader's phase 1 (READ -> GATHER, one fsync) overlaps this round's last PROPOSE -> ACK.
// The batches it had in flight stay here: an ACK of round r means "accepted in round r and
// durable", so a majority of them still makes the batch chosen in round r, whatever rounds the
// acceptors promised since (the next leader's read meets at least one of those acceptors and
// adopts the value). It then broadcasts COMMIT / DECIDE of round r, as it would have.
// Nothing is retransmitted from here: an acceptor that missed the batch has promised the next
// round by now, and the next leader re-imposes whatever its read finds.
import { type Entry, type Msg, majority } from './types.js';

export interface Batch {
  type: 'IMPOSE' | 'PROPOSE';
  /** The round the batch was sent in. */
  round: number;
  from: number;
  to: number;
  entries: Entry[];
  acks: Set<number>;
  sentAtMs: number;
  /** Doubles after every resend: a slow disk must not be buried under retransmissions. */
  retryMs: number;
}

export class RoundTail {
  private batches: Batch[] = [];
  private readonly n: number;
  /** Batches kept at most (the oldest go first); older rounds' batches are re-imposed anyway. */
  private readonly capMax: number;
  /** Slots chosen from the tail (stats). */
  chosenSlots = 0;

  constructor(n: number, capMax: number) {
    this.n = n;
    this.capMax = Math.max(1, capMax);
  }

  get size(): number {
    return this.batches.length;
  }

  /** Keeps a handed-over round's window, stamped with the time it was handed over. */
  keep(window: Batch[], nowMs: number): void {
    for (const b of window) this.batches.push({ ...b, sentAtMs: nowMs });
    if (this.batches.length > this.capMax) this.batches.splice(0, this.batches.length - this.capMax);
  }

  /**
   * An ACK of an earlier round. Returns the COMMIT / DECIDE to broadcast when this ACK completes
   * a majority for its batch (the batch leaves the tail), else undefined.
   */
  onAck(msg: Msg): Omit<Msg, 'from' | 'to'> | undefined {
    const i = this.batches.findIndex((b) => b.round === msg.round && b.from === msg.seq);
    if (i < 0) return undefined;
    const b = this.batches[i]!;
    b.acks.add(msg.from);
    if (b.acks.size < majority(this.n)) return undefined;
    this.batches.splice(i, 1);
    this.chosenSlots += b.to - b.from;
    return { type: b.type === 'IMPOSE' ? 'DECIDE' : 'COMMIT', round: b.round, seq: b.from, upTo: b.to };
  }

  /** A restarted peer may have lost what it accepted: its earlier ACKs do not count. */
  fence(node: number): void {
    for (const b of this.batches) b.acks.delete(node);
  }

  /** Forgets batches this node committed (nothing left to tell) or kept longer than `keepMs`. */
  prune(commitIndex: number, nowMs: number, keepMs: number): void {
    if (this.batches.length === 0) return;
    this.batches = this.batches.filter((b) => b.to > commitIndex && nowMs - b.sentAtMs <= keepMs);
  }
}
