// Issue 21 step 1: hot data rows in memory. The cache always says what the data store holds:
// updated by applies, dropped by a GetAll install, never filled by a read that raced a write,
// bounded by bytes.
import { describe, expect, it } from 'vitest';
import { LevelDb, type ApplyFn } from '../src/index.js';
import { RowCache } from '../src/storage/rowCache.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const K = enc.encode('k');
// a value "key=value" puts value at key; "key=" deletes key
const apply: ApplyFn = (_e, _entry, value, tx) => {
  const [k, v] = dec.decode(value).split('=') as [string, string];
  if (v === '') tx.del(enc.encode(k));
  else tx.put(enc.encode(k), enc.encode(v));
};
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : dec.decode(b));

describe('hot rows of the data store', () => {
  it('applies update the cached row; reads after them hit the cache', async () => {
    const db = await LevelDb.open({ memory: true }, apply, { rowCacheBytesMax: 1 << 20 });
    expect(await db.get(1n, K)).toBeUndefined(); // absence is cached too
    await db.commit(1n, 1n, enc.encode('k=a'));
    const hits = db.rowCache.stats.hits;
    expect(str(await db.get(1n, K))).toBe('a');
    await db.commit(1n, 2n, enc.encode('k=b'));
    expect(str(await db.get(1n, K))).toBe('b');
    await db.commit(1n, 3n, enc.encode('k='));
    expect(await db.get(1n, K)).toBeUndefined();
    expect(db.rowCache.stats.hits).toBe(hits + 3);
    expect(await db.get(2n, K)).toBeUndefined(); // another entity's row is its own
    await db.close();
  });

  it('a GetAll install drops the cache: the copied rows are read, not the old ones', async () => {
    const db = await LevelDb.open({ memory: true }, apply, { rowCacheBytesMax: 1 << 20 });
    await db.commit(1n, 1n, enc.encode('k=old'));
    expect(str(await db.get(1n, K))).toBe('old');
    await db.beginGetAll(1n);
    expect(await db.get(1n, K)).toBeUndefined();
    await db.putRows(1n, [[new Uint8Array([0, ...K]), enc.encode('copied')]]);
    expect(str(await db.get(1n, K))).toBe('copied');
    await db.close();
  });

  it('a read that overlapped a write of its entity is not cached', async () => {
    const db = await LevelDb.open({ memory: true }, apply, { rowCacheBytesMax: 1 << 20 });
    await db.commit(1n, 1n, enc.encode('k=a'));
    db.rowCache.clear();
    // the read starts before the write and may see the store before it: it must not stick
    const read = db.get(1n, K);
    const write = db.commit(1n, 2n, enc.encode('k=b'));
    await Promise.all([read, write]);
    expect(str(await db.get(1n, K))).toBe('b');
    await db.close();
  });

  it('holds at most bytesMax, least recently used out first', () => {
    const c = new RowCache(10_000);
    for (let i = 0; i < 20; i++) c.set(`k${i}`, new Uint8Array(1000));
    expect(c.size).toBeLessThan(20);
    expect(c.get('k19')).toBeDefined();
    expect(c.get('k0')).toBeUndefined();
    const t = c.ticket(1n);
    c.beginWrite(1n);
    c.endWrite(1n);
    c.fill(1n, t, 'late', undefined);
    expect(c.get('late')).toBeUndefined();
  });
});
