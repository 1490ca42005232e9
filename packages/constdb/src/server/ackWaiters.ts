// WAIT numreplicas timeout: clients waiting until enough replicas acknowledged a seq of ours.
import type { Peer } from './replPeer.js';

interface Waiter {
  seq: bigint;
  n: number;
  resolve: (n: number) => void;
  timer?: NodeJS.Timeout;
}

export class AckWaiters {
  private waiters: Waiter[] = [];

  constructor(private readonly peers: ReadonlyMap<number, Peer>) {}

  countAcked(seq: bigint): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.ackedSeq >= seq) n++;
    return n;
  }

  /** Resolves with the replicas that acked `seq` once there are `numReplicas`, or at the timeout (0: none). */
  wait(seq: bigint, numReplicas: number, timeoutMs: number): Promise<number> {
    const now = this.countAcked(seq);
    if (now >= numReplicas || this.peers.size === 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: Waiter = { seq, n: numReplicas, resolve };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(this.countAcked(seq));
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  /** An ack arrived: waiters that have their count now are answered. */
  settle(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      const n = this.countAcked(w.seq);
      if (n < w.n) return true;
      clearTimeout(w.timer);
      w.resolve(n);
      return false;
    });
  }

  /** The node stops: every waiter gets the count it has now. */
  resolveAll(): void {
    for (const w of this.waiters) w.resolve(this.countAcked(w.seq));
    this.waiters = [];
  }
}
