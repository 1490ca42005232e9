// The send queue of a PeerLink: bounded in count and bytes, taken in batches bounded in
// count and bytes. Pure (no timers, no I/O).

export interface BatchLimits {
  /** most messages in one batch */
  batchCountMax: number;
  /** most payload bytes in one batch (a single larger message is refused at enqueue) */
  batchBytesMax: number;
  /** most messages waiting in the queue */
  queueCountMax: number;
  /** most payload bytes waiting in the queue */
  queueBytesMax: number;
}

export type EnqueueResult = 'queued' | 'full' | 'too-large';

export class BatchQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  /** messages ever enqueued / ever taken (their difference is the queue length) */
  enqueued = 0;
  taken = 0;

  constructor(readonly limits: BatchLimits) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  enqueue(msg: Uint8Array): EnqueueResult {
    if (msg.byteLength > this.limits.batchBytesMax) return 'too-large';
    if (this.length >= this.limits.queueCountMax || this.bytes + msg.byteLength > this.limits.queueBytesMax) return 'full';
    this.items.push(msg);
    this.bytes += msg.byteLength;
    this.enqueued++;
    return 'queued';
  }

  /** Takes the oldest messages that fit one batch (at least one if the queue is not empty). */
  take(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let size = 0;
    while (this.head < this.items.length && out.length < this.limits.batchCountMax) {
      const next = this.items[this.head]!;
      if (out.length > 0 && size + next.byteLength > this.limits.batchBytesMax) break;
      out.push(next);
      size += next.byteLength;
      this.head++;
    }
    this.bytes -= size;
    this.taken += out.length;
    // compact once the consumed prefix dominates, so memory stays bounded by the live queue
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Drops everything still queued; returns how many messages were dropped. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}
