import { BatchTooLargeError, InvalidArgumentError, StoreClosedError } from './errors.js';
import { checkBatchOp, type BatchOp, type Store } from './store.js';

export interface GroupCommitOptions {
  /** Most ops merged into one synced batch. A single write() may not exceed it. */
  batchOpsMax?: number;
  /** Most ops accepted and not yet durable (queued + in flight); beyond it write() waits. */
  queueOpsMax?: number;
  /** Called after each synced batch with its write+fsync time in seconds (for a latency histogram). */
  onSynced?: (seconds: number, ops: number) => void;
}

export const GROUP_COMMIT_DEFAULTS: Required<Omit<GroupCommitOptions, 'onSynced'>> = {
  batchOpsMax: 4096,
  queueOpsMax: 65536,
};

interface Entry {
  ops: BatchOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Many callers, one fsync: writes that arrive while a batch is being synced are merged into
 * the next batch. Each caller's ops stay together and in call order, so they are atomic and
 * later writes win over earlier ones on the same key. Does not close the store.
 */
export class GroupCommitWriter {
  readonly batchOpsMax: number;
  readonly queueOpsMax: number;
  private queue: Entry[] = [];
  private head = 0;
  private readonly blocked: Entry[] = [];
  private accepted = 0;
  private writing = false;
  private scheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];
  private syncs = 0;
  private failures = 0;
  private opsDone = 0;
  private readonly onSynced: ((seconds: number, ops: number) => void) | undefined;

  constructor(
    private readonly store: Store,
    opts: GroupCommitOptions = {},
  ) {
    this.batchOpsMax = opts.batchOpsMax ?? GROUP_COMMIT_DEFAULTS.batchOpsMax;
    this.queueOpsMax = opts.queueOpsMax ?? GROUP_COMMIT_DEFAULTS.queueOpsMax;
    this.onSynced = opts.onSynced;
    if (!Number.isInteger(this.batchOpsMax) || this.batchOpsMax < 1) {
      throw new InvalidArgumentError('batchOpsMax must be a positive integer');
    }
    if (!Number.isInteger(this.queueOpsMax) || this.queueOpsMax < this.batchOpsMax) {
      throw new InvalidArgumentError('queueOpsMax must be an integer >= batchOpsMax');
    }
  }

  /** Batches synced so far (each one store.write with { sync: true }). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Batches that failed (all their callers were rejected). */
  get failedBatchCount(): number {
    return this.failures;
  }

  /** Ops written durably so far. */
  get opsWritten(): number {
    return this.opsDone;
  }

  /** Ops accepted and not yet settled (queued or in the batch being synced). */
  get queuedOps(): number {
    return this.accepted;
  }

  /** write() calls waiting for queue space (backpressure). */
  get blockedWrites(): number {
    return this.blocked.length;
  }

  /**
   * Resolves once `ops` are durable (the batch holding them was written with { sync: true }).
   * Waits while the queue is full. Rejects with the batch's error if that batch fails.
   */
  write(ops: BatchOp[]): Promise<void> {
    try {
      if (this.closed) throw new StoreClosedError('group commit writer');
      if (!Array.isArray(ops)) throw new InvalidArgumentError('write needs an array of ops');
      if (ops.length > this.batchOpsMax) throw new BatchTooLargeError(ops.length, this.batchOpsMax);
      // Validate here: one caller's bad op must not fail the batch it would share with others.
      for (const op of ops) checkBatchOp(op);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = { ops: ops.slice(), resolve, reject };
      if (this.blocked.length > 0 || this.accepted + ops.length > this.queueOpsMax) this.blocked.push(entry);
      else this.accept(entry);
    });
  }

  /** Resolves when everything written (or waiting) before this call has settled. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Refuse new writes, then wait for the accepted ones. The store stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private isIdle(): boolean {
    return !this.writing && !this.scheduled && this.head === this.queue.length && this.blocked.length === 0;
  }

  private accept(entry: Entry): void {
    this.accepted += entry.ops.length;
    this.queue.push(entry);
    if (!this.writing && !this.scheduled) {
      // Defer one microtask so writers called in the same tick share the first batch too.
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        void this.run();
      });
    }
  }

  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    let n = 0;
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      if (batch.length > 0 && n + next.ops.length > this.batchOpsMax) break;
      batch.push(next);
      n += next.ops.length;
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return batch;
  }

  private async run(): Promise<void> {
    this.writing = true;
    try {
      while (this.head < this.queue.length) {
        const batch = this.takeBatch();
        const ops = batch.flatMap((e) => e.ops);
        try {
          if (ops.length > 0) {
            const t0 = performance.now();
            await this.store.write(ops);
            this.syncs++;
            this.onSynced?.((performance.now() - t0) / 1000, ops.length);
          }
          this.opsDone += ops.length;
          for (const e of batch) e.resolve();
        } catch (err) {
          this.failures++;
          for (const e of batch) e.reject(err);
        } finally {
          this.accepted -= ops.length;
          this.admit();
        }
      }
    } finally {
      this.writing = false;
    }
    if (this.isIdle()) {
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }

  private admit(): void {
    while (this.blocked.length > 0 && this.accepted + this.blocked[0]!.ops.length <= this.queueOpsMax) {
      this.accept(this.blocked.shift()!);
    }
  }
}
