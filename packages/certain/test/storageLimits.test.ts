// Issue 16 item 5: fixed 4096-op storage batches must never stop the engine. Big logical
// writes are split at the storage layer, uuids per value are bounded with a clear error.
import { afterEach, describe, expect, it } from 'vitest';
import { LevelPlog, LevelDb, TooManyUuidsError, Certain, type EntryRecord } from '../src/index.js';
import { LocalNet } from './localNet.js';

const rec = (entry: bigint, uuids: bigint[] = []): EntryRecord => ({
  preparedNum: 4n, promisedNum: 4n, acceptedNum: 4n, valueId: 4n, value: new TextEncoder().encode(`v${entry}`), uuids, chosen: true,
});

const live: Certain[] = [];
afterEach(async () => {
  await Promise.allSettled(live.splice(0).map((c) => c.stop()));
});

describe('storage limits', () => {
  it('one plog write over many entities beyond batchOpsMax is split, and expiry of > 4096 records works', async () => {
    const plog = await LevelPlog.open({ memory: true });
    const ops = Array.from({ length: 5000 }, (_, i) => ({ entityId: BigInt(i + 1), entry: 1n, record: rec(1n), maxChosen: 1n }));
    await plog.write(ops, 0);
    expect((await plog.load(4999n)).maxChosen).toBe(1n);
    // one entity with 5000 applied records, written in steps, then expired in one sweep
    for (let k = 0n; k < 5000n; k += 500n) {
      await plog.write(Array.from({ length: 500 }, (_, i) => ({ entityId: 7n, entry: k + BigInt(i) + 1n, record: rec(k + BigInt(i) + 1n), maxChosen: k + BigInt(i) + 1n })), 0);
    }
    expect(await plog.expire(7n, 4999n, 1)).toBe(4999);
    await plog.resetTo(7n, 5000n);
    expect((await plog.load(7n)).maxChosen).toBe(5000n);
    await plog.close();
  });

  it('applying many entries with many uuids is split into atomic steps', async () => {
    const db = await LevelDb.open({ memory: true }, (_e, _k, v, tx) => tx.put(new Uint8Array([1]), v));
    const entries = Array.from({ length: 100 }, (_, i) => ({ entry: BigInt(i + 1), value: new Uint8Array([i]), uuids: Array.from({ length: 100 }, (_, j) => BigInt(i * 1000 + j)) }));
    await db.commitMany(3n, entries, 10);
    expect(await db.maxCommitted(3n)).toBe(100n);
    expect(await db.hasUuid(3n, 99_099n, 0)).toBe(true);
    await db.close();
  });

  it('write() with more uuids than uuidsPerValueMax is refused and the engine keeps serving', async () => {
    const net = new LocalNet();
    const c = new Certain({
      bootstrap: true, acceptorId: 0, acceptorNum: 1, path: '/unused', plog: await LevelPlog.open({ memory: true }),
      db: await LevelDb.open({ memory: true }, (_e, _k, v, tx) => tx.put(new Uint8Array([1]), v)), transport: net.transportFor(0),
    });
    await c.start();
    live.push(c);
    const many = Array.from({ length: 5000 }, (_, i) => BigInt(i + 1));
    await expect(c.write(1n, 1n, new Uint8Array([1]), many)).rejects.toBeInstanceOf(TooManyUuidsError);
    await c.write(1n, 1n, new Uint8Array([2]), many.slice(0, 1024));
    expect(await c.exists(1n, 1024n)).toBe(true);
    expect(c.fatalError).toBeUndefined();
  });
});
