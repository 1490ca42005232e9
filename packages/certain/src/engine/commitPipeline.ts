// The group commit of the engine: effects of every entity queue up; one synced plog batch
// carries all their persist ops, and only then are their sends and notifications released
// (persist before send). A flush starts after the current macrotask so that whatever one
// turn produces (a chosen record and the writer's next proposal, the accepts of many
// entities) shares one fsync.
//
// Chosen marks ride with the next synced batch. A group of effects that sends nothing and
// persists only chosen records (a commit notice learnt, the proposer's own chosen step) needs
// no fsync of its own: chosen is a fact once a majority durably accepted, and a replica that
// loses a chosen mark in a crash still holds its durable accept and learns the entry again
// (probe, commit ask, chosen summary), as one that never heard the notice. So its ops are kept
// back and written at the front of the next synced batch (or after deferMaxMs, or when someone
// waits in flushed()), and its notifications released at once. Nothing written later can
// reach the disk before them (they go first, in the same batch), so a crash always leaves a
// prefix of the write sequence, as with synced batches. At one client this halves the fsyncs
// per update and a replica's next accept no longer waits behind a chosen mark's fsync.
import type { Effects, PersistOp } from '../core/index.js';

/** Sends nothing and persists only chosen records: may go out before its ops are durable. */
export function needsNoSync(e: Effects): boolean {
  return e.send.length === 0 && e.persist.every((p) => p.record.chosen);
}

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

export interface CommitPipelineOptions {
  /** Longest a kept-back chosen mark waits for a synced batch to ride with (0: never kept back). */
  deferMaxMs: number;
  /** Most kept-back ops; one more forces them out with the next batch. */
  deferOpsMax: number;
}

export class CommitPipeline {
  private batch: Effects[] = [];
  private flushing = false;
  private scheduled = false;
  private gen = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  /** Chosen-mark ops released but not yet written (see the file comment). */
  private deferred: PersistOp[] = [];
  /** The kept-back ops must go out with the next flush (a waiter, the timer, the cap). */
  private writeDeferred = false;
  private deferTimer: NodeJS.Timeout | undefined;
  /**
   * Uuids of chosen records pushed and not yet written (kept back, queued or being written):
   * the engine's at-most-once check must see a uuid from the moment its value is chosen here,
   * not only once the plog holds it. `${entityId}:${uuid}` -> count.
   */
  private readonly unwritten = new Map<string, number>();
  /** Waiting for the kept-back ops to be written by whichever batch comes (see written()). */
  private deferredWaiters: (() => void)[] = [];

  constructor(private readonly host: CommitPipelineHost, private readonly opts: CommitPipelineOptions = { deferMaxMs: 0, deferOpsMax: 0 }) {}

  /** Nothing queued, kept back or being written. */
  get quiet(): boolean {
    return !this.flushing && this.batch.length === 0 && this.deferred.length === 0;
  }

  /** Not even a flush scheduled. */
  get idle(): boolean {
    return this.quiet && !this.scheduled;
  }

  get writing(): boolean {
    return this.flushing;
  }

  push(e: Effects): void {
    this.index(e.persist, 1);
    this.batch.push(e);
    this.schedule();
  }

  /**
   * Resolves once everything queued before the call is durable: after the batch being written
   * now (if any) and the one after it, not when the writer goes idle (it may never, under load).
   */
  flushed(): Promise<void> {
    if (this.quiet || this.host.stopped()) return Promise.resolve();
    if (this.deferred.length > 0) this.writeDeferred = true;
    const target = this.gen + (this.flushing ? 2 : 1);
    if (!this.flushing) this.schedule();
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /**
   * Like flushed(), but kept-back chosen marks are not forced out: resolves once they rode
   * with the next synced batch (or their deferMaxMs passed). For background work (the
   * applier) that must not cost an fsync of its own.
   */
  written(): Promise<void> {
    if (this.deferred.length === 0 || this.host.stopped()) return this.flushed();
    return new Promise((resolve) => this.deferredWaiters.push(resolve));
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
      while ((this.batch.length > 0 || (this.writeDeferred && this.deferred.length > 0)) && !this.host.stopped()) {
        const effects = this.batch;
        this.batch = [];
        const own = effects.flatMap((e) => e.persist);
        const keepBack = this.opts.deferMaxMs > 0 && !this.writeDeferred && this.deferred.length + own.length <= this.opts.deferOpsMax && effects.every(needsNoSync);
        if (keepBack) this.deferred.push(...own);
        else {
          // kept-back chosen marks first: they precede everything after them on disk too
          const ops = this.deferred.length > 0 ? this.deferred.concat(own) : own;
          const waiters = this.deferredWaiters;
          this.deferred = [];
          this.deferredWaiters = [];
          this.writeDeferred = false;
          if (ops.length > 0) await this.host.write(ops);
          this.index(ops, -1);
          for (const w of waiters) w();
        }
        if (this.host.stopped()) return;
        for (const e of effects) this.host.release(e);
        this.gen++;
        this.wake(false);
      }
      if (this.deferred.length > 0) this.armDeferTimer();
      else if (this.batch.length === 0) this.host.drained();
    } catch (err) {
      this.host.fatal(err);
    } finally {
      this.flushing = false;
      this.wake(true);
      if (this.host.stopped()) this.wakeDeferred();
    }
  }

  /** Kept-back ops are written within deferMaxMs even when no synced batch comes. */
  private armDeferTimer(): void {
    if (this.deferTimer) return;
    this.deferTimer = setTimeout(() => {
      this.deferTimer = undefined;
      if (this.deferred.length === 0 || this.host.stopped()) return;
      this.writeDeferred = true;
      this.schedule();
    }, this.opts.deferMaxMs);
    this.deferTimer.unref();
  }

  /** A chosen record carrying this uuid was pushed and is not in the plog yet. */
  hasUnwrittenUuid(entityId: bigint, uuid: bigint): boolean {
    return this.unwritten.size > 0 && this.unwritten.has(`${entityId}:${uuid}`);
  }

  private index(ops: PersistOp[], d: 1 | -1): void {
    for (const op of ops) {
      if (!op.record.chosen) continue;
      for (const u of op.record.uuids) {
        const k = `${op.entityId}:${u}`;
        const n = (this.unwritten.get(k) ?? 0) + d;
        if (n > 0) this.unwritten.set(k, n);
        else this.unwritten.delete(k);
      }
    }
  }

  /** The engine stopped: nobody waits for kept-back ops any more (they stay unwritten). */
  stop(): void {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    this.wakeDeferred();
  }

  private wakeDeferred(): void {
    const ws = this.deferredWaiters;
    this.deferredWaiters = [];
    for (const w of ws) w();
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
