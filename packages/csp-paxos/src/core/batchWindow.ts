// The batches a leader has in flight in its current round (PROPOSE or IMPOSE, not yet
// acknowledged by a majority), their ACK counting and their resend schedule. Bounded by the
// proposer (windowBatchesMax); once the round is handed over its batches move to the tail.
import type { Batch } from './tail.js';
import { type Entry, type Msg, majority } from './types.js';

/**
 * Takes from the front of `queue` at most `max` entries of consecutive slots: a batch is one
 * range (its ACK and DECIDE name from..to), and the slots a read found chosen leave gaps.
 */
export function takeRun(queue: Entry[], max: number): Entry[] {
  let n = Math.min(1, queue.length);
  while (n < queue.length && n < max && queue[n]!.slot === queue[n - 1]!.slot + 1) n++;
  return queue.splice(0, n);
}

export class BatchWindow {
  private readonly n: number;
  batches: Batch[] = [];

  constructor(n: number) {
    this.n = n;
  }

  get length(): number {
    return this.batches.length;
  }

  /** Some batch in flight is a PROPOSE (new values), not only re-imposed ones. */
  proposing(): boolean {
    return this.batches.some((b) => b.type === 'PROPOSE');
  }

  /** Empties the window (a new round), returning what was in flight. */
  clear(): Batch[] {
    const b = this.batches;
    this.batches = [];
    return b;
  }

  open(type: 'IMPOSE' | 'PROPOSE', round: number, entries: Entry[], nowMs: number, retryMs: number): Batch {
    const b: Batch = { type, round, from: entries[0]!.slot, to: entries[entries.length - 1]!.slot + 1, entries, acks: new Set(), sentAtMs: nowMs, retryMs };
    this.batches.push(b);
    return b;
  }

  /** A restarted peer may have lost what it accepted: its earlier ACKs do not count. */
  fence(node: number): void {
    for (const b of this.batches) b.acks.delete(node);
  }

  /**
   * Counts an ACK of this round. Undefined when no batch starts at its slot; else the batch and
   * whether this ACK completed its majority (then it left the window: it is chosen).
   */
  ack(msg: Msg): { batch: Batch; chosen: boolean } | undefined {
    const i = this.batches.findIndex((b) => b.from === msg.seq);
    if (i < 0) return undefined;
    const b = this.batches[i]!;
    b.acks.add(msg.from);
    if (b.acks.size < majority(this.n)) return { batch: b, chosen: false };
    this.batches.splice(i, 1);
    return { batch: b, chosen: true };
  }

  /** The first slot of the lowest batch in flight (`above` when none is). */
  lowestFrom(above: number): number {
    let low = above;
    for (const b of this.batches) if (b.from < low) low = b.from;
    return low;
  }

  /**
   * Batches whose resend time came, each with the nodes that have not acknowledged it. Their
   * interval doubles up to `capMs`: a slow disk must not be buried under retransmissions.
   */
  due(nowMs: number, capMs: number): Array<{ batch: Batch; to: number[] }> {
    const out: Array<{ batch: Batch; to: number[] }> = [];
    for (const b of this.batches) {
      if (nowMs - b.sentAtMs < b.retryMs) continue;
      b.sentAtMs = nowMs;
      b.retryMs = Math.min(b.retryMs * 2, capMs);
      const to: number[] = [];
      for (let j = 0; j < this.n; j++) if (!b.acks.has(j)) to.push(j);
      out.push({ batch: b, to });
    }
    return out;
  }
}
