// Hint writes (COMMIT) without an fsync of their own: held back until the next synced batch of
// the store (or a short timer, or a size cap) and then written through the same group commit.
// A lost hint only costs a later read of that version one more round; it is never a vote.
import type { BatchOp, GroupCommitWriter } from '@quorumkit/shared-storage';

interface LazyWrite {
  ops: BatchOp[];
  /** called once the write settled (durable or failed) */
  done(): void;
}

export class LazyHints {
  private queue: LazyWrite[] = [];
  private ops = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly writer: GroupCommitWriter,
    private readonly flushMs: number,
    private readonly opsMax: number,
  ) {}

  /** Hold `ops` back; `done` runs once they are written (or the write failed). */
  add(ops: BatchOp[], done: () => void): void {
    this.queue.push({ ops, done });
    this.ops += ops.length;
    if (this.ops >= this.opsMax) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Hand everything held to the writer now (in batches of at most opsMax ops). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const take: LazyWrite[] = [];
      let n = 0;
      while (this.queue.length > 0 && n + this.queue[0]!.ops.length <= this.opsMax) {
        const w = this.queue.shift()!;
        take.push(w);
        n += w.ops.length;
      }
      if (take.length === 0) take.push(this.queue.shift()!);
      this.ops -= take.reduce((a, w) => a + w.ops.length, 0);
      this.writer
        .write(take.flatMap((w) => w.ops))
        .catch(() => undefined) // a lost hint only costs a later read one more round
        .finally(() => {
          for (const w of take) w.done();
        });
    }
  }
}
