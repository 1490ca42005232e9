// The data store's applies are written without fsync (the plog is their write-ahead log), yet
// each was still one LevelDB write of its own: a WAL append (a write syscall) and a native
// call per entity per apply, 5-8 % of a server's time at 64 clients x 1000 cards (issue 21).
// Here every apply issued within one turn of the event loop (the appliers' timers that fire
// together, whatever resolved in their microtasks) goes into one unsynced write. Each caller's
// ops stay in one atomic batch (the whole group is one), and a caller resolves only once the
// write holding its ops is done, so a checkpoint after it still makes it durable.
import type { BatchOp, Store } from '@quorumkit/shared-storage';

export class UnsyncedWriter {
  private ops: BatchOp[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;
  /** LevelDB writes issued (tests, metrics). */
  writes = 0;

  constructor(private readonly store: Store, private readonly batchOpsMax: number) {}

  write(ops: BatchOp[]): Promise<void> {
    // a group never outgrows the store's batch limit: the one collected so far leaves first
    if (this.ops.length > 0 && this.ops.length + ops.length > this.batchOpsMax) this.flush();
    return new Promise((resolve, reject) => {
      for (const op of ops) this.ops.push(op);
      this.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.waiters.length === 0) return;
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    this.writes++;
    this.store.write(ops, { sync: false }).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}
