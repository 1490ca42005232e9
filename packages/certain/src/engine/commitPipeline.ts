// The group commit of the engine: effects of every entity queue up; one synced plog batch
// carries all their persist ops, and only then are their sends and notifications released
// (persist before send). A flush starts after the current macrotask so that whatever one
// turn produces (a chosen record and the writer's next proposal, the accepts of many
// entities) shares one fsync.
import type { Effects, PersistOp } from '../core/index.js';

export interface CommitPipelineHost {
  /** Durably write one batch (one fsync for all of it). A rejection is a disk failure. */
  write(ops: PersistOp[]): Promise<void>;
  /** Everything in `e` is durable now: send, notify, let the entity continue. */
  release(e: Effects): void;
  stopped(): boolean;
  /** The queue ran empty after a flush. */
  drained(): void;
  /** A plog write failed: the engine must stop. */
  fatal(err: unknown): void;
}

export class CommitPipeline {
  private batch: Effects[] = [];
  private flushing = false;
  private scheduled = false;
  private gen = 0;
  private waiters: { target: number; resolve: () => void }[] = [];

  constructor(private readonly host: CommitPipelineHost) {}

  /** Nothing queued and nothing being written. */
  get quiet(): boolean {
    return !this.flushing && this.batch.length === 0;
  }

  /** Not even a flush scheduled. */
  get idle(): boolean {
    return this.quiet && !this.scheduled;
  }

  get writing(): boolean {
    return this.flushing;
  }

  push(e: Effects): void {
    this.batch.push(e);
    this.schedule();
  }

  /**
   * Resolves once everything queued before the call is durable: after the batch being written
   * now (if any) and the one after it, not when the writer goes idle (it may never, under load).
   */
  flushed(): Promise<void> {
    if (this.quiet || this.host.stopped()) return Promise.resolve();
    const target = this.gen + (this.flushing ? 2 : 1);
    if (!this.flushing) this.schedule();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.batch.length > 0 && !this.host.stopped()) {
        const effects = this.batch;
        this.batch = [];
        const ops = effects.flatMap((e) => e.persist);
        if (ops.length > 0) await this.host.write(ops);
        if (this.host.stopped()) return;
        for (const e of effects) this.host.release(e);
        this.gen++;
        this.wake(false);
      }
      if (this.batch.length === 0) this.host.drained();
    } catch (err) {
      this.host.fatal(err);
    } finally {
      this.flushing = false;
      this.wake(true);
    }
  }

  private wake(all: boolean): void {
    const keep: { target: number; resolve: () => void }[] = [];
    for (const w of this.waiters) {
      if (all || w.target <= this.gen) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
