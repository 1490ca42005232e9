// A time index beside a uuid dedup index, so that expiry drops whole time buckets instead of
// rescanning every live uuid: one row (bucket, entity, uuid) per dedup row, bucket =
// floor(at / bucketMs). A sweep reads the bucket rows older than its cutoff, each once, and
// deletes them with their dedup rows; the live part of the index is never visited.
import { concatKey, decodeBigintKeyAt, encodeBigintKey, type BatchOp, type GroupCommitWriter, type Keyspace } from '@quorumkit/shared-storage';

export const UUID_BUCKET_MS_DEFAULT = 60_000;
const EMPTY = new Uint8Array(0);

export class UuidBuckets {
  /** Rows read by expiry sweeps so far (the cost a sweep pays). */
  keysVisited = 0;

  constructor(
    private readonly byTime: Keyspace,
    /** The dedup keyspace: key (entity, uuid). */
    private readonly primary: Keyspace,
    private readonly writer: GroupCommitWriter,
    /** The time a dedup row was written at (its value decoded). */
    private readonly atOf: (row: Uint8Array) => number,
    readonly bucketMs = UUID_BUCKET_MS_DEFAULT,
  ) {}

  private bucket(at: number): bigint {
    return BigInt(Math.floor(at / this.bucketMs));
  }

  /** The time-index row for a dedup row of (entity, uuid) written at `at`. */
  put(entityId: bigint, uuid: bigint, at: number): BatchOp {
    return this.byTime.put(concatKey(encodeBigintKey(this.bucket(at)), encodeBigintKey(entityId), encodeBigintKey(uuid)), EMPTY);
  }

  del(entityId: bigint, uuid: bigint, at: number): BatchOp {
    return this.byTime.del(concatKey(encodeBigintKey(this.bucket(at)), encodeBigintKey(entityId), encodeBigintKey(uuid)));
  }

  /**
   * The rows of the buckets that overlap [fromMs, toMs), bucket by bucket in time order, each
   * with its bucket's end as its time (an upper bound of the dedup row's): what the engine's
   * in-memory uuid window is rebuilt from at start. A row may be listed although its dedup
   * row was chosen again later (it stays listed twice): the window only needs a superset.
   */
  async *between(fromMs: number, toMs: number): AsyncGenerator<{ entityId: bigint; uuid: bigint; atMs: number }> {
    const first = this.bucket(fromMs);
    const last = this.bucket(toMs - 1);
    for await (const [k] of this.byTime.range({ gte: encodeBigintKey(first), lt: encodeBigintKey(last + 1n) })) {
      const b = decodeBigintKeyAt(k, 0);
      const e = decodeBigintKeyAt(k, b.end);
      const u = decodeBigintKeyAt(k, e.end);
      yield { entityId: e.value, uuid: u.value, atMs: Number(b.value + 1n) * this.bucketMs - 1 };
    }
  }

  /**
   * Delete every dedup row in a bucket that ended at or before beforeMs (a uuid may outlive
   * its window by up to one bucket; lookups compare the row's time, so dedup stays exact).
   * Chunked to the writer's batch limit: a crash in between leaves only rows a later sweep
   * deletes. Returns how many dedup rows went.
   */
  async expire(beforeMs: number): Promise<number> {
    const end = encodeBigintKey(this.bucket(beforeMs));
    let ops: BatchOp[] = [];
    let n = 0;
    const max = Math.max(2, this.writer.batchOpsMax - 1);
    for await (const [k] of this.byTime.range({ lt: end })) {
      this.keysVisited++;
      const b = decodeBigintKeyAt(k, 0);
      const e = decodeBigintKeyAt(k, b.end);
      const u = decodeBigintKeyAt(k, e.end);
      ops.push(this.byTime.del(k));
      // the uuid may have been chosen again after its window (a newer row in a later bucket):
      // that row stays
      const pk = concatKey(encodeBigintKey(e.value), encodeBigintKey(u.value));
      const row = await this.primary.get(pk);
      if (row !== undefined && this.bucket(this.atOf(row)) <= b.value) {
        ops.push(this.primary.del(pk));
        n++;
      }
      if (ops.length >= max) {
        await this.writer.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.writer.write(ops);
    return n;
  }
}
