import { describe, expect, it } from 'vitest';
import { BatchTooLargeError, InvalidArgumentError, StoreClosedError } from '../src/errors.js';
import { GroupCommitWriter, encodeBigintKey, type BatchOp, type Store } from '../src/index.js';
import { backends, collect, dec, enc, recordingStore, useStore } from './helpers.js';

describe.each(backends())('GroupCommitWriter on $name', ({ make }) => {
  let store: Store;
  useStore(make, (s) => (store = s));

  it('merges 100 concurrent writers into far fewer synced batches, all durable', async () => {
    const w = new GroupCommitWriter(store);
    const ks = store.keyspace('log');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => w.write([ks.put(encodeBigintKey(BigInt(i)), enc(`v${i}`))])),
    );
    expect(w.syncCount).toBeGreaterThanOrEqual(1);
    expect(w.syncCount).toBeLessThanOrEqual(10);
    expect(store.syncCount).toBe(w.syncCount);
    expect(w.opsWritten).toBe(100);
    const rows = await collect(ks.range());
    expect(rows).toHaveLength(100);
    expect(dec(rows[99]![1])).toBe('v99');
  });

  it('reports each synced batch to onSynced: its duration in seconds and its op count, none for a failed one', async () => {
    const seen: [number, number][] = [];
    const w = new GroupCommitWriter(store, { onSynced: (s, n) => seen.push([s, n]) });
    const ks = store.keyspace('log');
    await Promise.all(Array.from({ length: 20 }, (_, i) => w.write([ks.put(encodeBigintKey(BigInt(i)), enc('v')), ks.put(encodeBigintKey(BigInt(100 + i)), enc('w'))])));
    expect(seen).toHaveLength(w.syncCount);
    expect(seen.reduce((a, [, n]) => a + n, 0)).toBe(40);
    for (const [s] of seen) expect(s).toBeGreaterThanOrEqual(0);
    await w.write([]);
    expect(seen).toHaveLength(w.syncCount);
  });

  it('merges writers that arrive while a batch is syncing into the next batch', async () => {
    const rec = recordingStore(store);
    const w = new GroupCommitWriter(rec.store);
    const ks = store.keyspace('k');
    const release = rec.hold();
    const first = w.write([ks.put(enc('first'), enc('1'))]);
    await new Promise((r) => setTimeout(r, 10));
    const later = Array.from({ length: 50 }, (_, i) => w.write([ks.put(enc(`later${i}`), enc('x'))]));
    release();
    await Promise.all([first, ...later]);
    expect(rec.batches).toEqual([1, 50]);
    expect(w.syncCount).toBe(2);
  });

  it('never puts more than batchOpsMax ops in one batch and keeps each caller whole', async () => {
    const rec = recordingStore(store);
    const w = new GroupCommitWriter(rec.store, { batchOpsMax: 10, queueOpsMax: 100 });
    const ks = store.keyspace('k');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => w.write([ks.put(enc(`a${i}`), enc('1')), ks.put(enc(`b${i}`), enc('2')), ks.put(enc(`c${i}`), enc('3'))])),
    );
    expect(rec.batches.every((n) => n <= 10 && n % 3 === 0)).toBe(true);
    expect(rec.batches.reduce((a, b) => a + b, 0)).toBe(90);
  });

  it('rejects a single write larger than batchOpsMax, and bad options', async () => {
    const w = new GroupCommitWriter(store, { batchOpsMax: 2, queueOpsMax: 4 });
    const ks = store.keyspace('k');
    await expect(w.write([ks.put(enc('a'), enc('1')), ks.put(enc('b'), enc('1')), ks.put(enc('c'), enc('1'))])).rejects.toBeInstanceOf(
      BatchTooLargeError,
    );
    expect(() => new GroupCommitWriter(store, { batchOpsMax: 0 })).toThrow(InvalidArgumentError);
    expect(() => new GroupCommitWriter(store, { batchOpsMax: 10, queueOpsMax: 5 })).toThrow(InvalidArgumentError);
  });

  it('makes callers wait when the queue is full (backpressure) and admits them in order', async () => {
    const rec = recordingStore(store);
    const w = new GroupCommitWriter(rec.store, { batchOpsMax: 2, queueOpsMax: 4 });
    const ks = store.keyspace('k');
    const release = rec.hold();
    const done: number[] = [];
    const writes = Array.from({ length: 8 }, (_, i) => w.write([ks.put(enc(`k${i}`), enc(`${i}`))]).then(() => done.push(i)));
    await new Promise((r) => setTimeout(r, 10));
    expect(w.queuedOps).toBe(4);
    expect(w.blockedWrites).toBe(4);
    expect(done).toEqual([]);
    release();
    await Promise.all(writes);
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(w.queuedOps).toBe(0);
    expect(w.blockedWrites).toBe(0);
    expect(rec.batches.every((n) => n <= 2)).toBe(true);
  });

  it('rejects every caller of a failing batch and keeps going with the next one', async () => {
    const rec = recordingStore(store);
    const w = new GroupCommitWriter(rec.store);
    const ks = store.keyspace('k');
    const boom = new Error('disk on fire');
    rec.failNextWith(boom);
    const failing = Array.from({ length: 5 }, (_, i) => w.write([ks.put(enc(`f${i}`), enc('x'))]));
    const results = await Promise.allSettled(failing);
    expect(results.every((r) => r.status === 'rejected' && r.reason === boom)).toBe(true);
    expect(w.failedBatchCount).toBe(1);
    expect(w.syncCount).toBe(0);
    await w.write([ks.put(enc('ok'), enc('y'))]);
    expect(w.syncCount).toBe(1);
    expect(await ks.get(enc('f0'))).toBeUndefined();
    expect(dec((await ks.get(enc('ok')))!)).toBe('y');
  });

  it('rejects a malformed op for its caller only', async () => {
    const w = new GroupCommitWriter(store);
    const ks = store.keyspace('k');
    const good = w.write([ks.put(enc('good'), enc('1'))]);
    const bad = w.write([{ type: 'put', key: enc('bad') } as BatchOp]);
    await expect(bad).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(good).resolves.toBeUndefined();
    expect(dec((await ks.get(enc('good')))!)).toBe('1');
  });

  it('applies merged writes in call order: the later write to a key wins', async () => {
    const w = new GroupCommitWriter(store);
    const ks = store.keyspace('k');
    await Promise.all([w.write([ks.put(enc('x'), enc('1'))]), w.write([ks.put(enc('x'), enc('2'))]), w.write([ks.del(enc('y'))])]);
    expect(dec((await ks.get(enc('x')))!)).toBe('2');
  });

  it('flush waits for accepted writes; close refuses new ones', async () => {
    const rec = recordingStore(store);
    const w = new GroupCommitWriter(rec.store);
    const ks = store.keyspace('k');
    await w.flush();
    const release = rec.hold();
    let settled = false;
    void w.write([ks.put(enc('a'), enc('1'))]).then(() => (settled = true));
    const flushed = w.flush();
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    release();
    await flushed;
    expect(settled).toBe(true);
    await w.close();
    await expect(w.write([ks.put(enc('b'), enc('1'))])).rejects.toBeInstanceOf(StoreClosedError);
  });
});
