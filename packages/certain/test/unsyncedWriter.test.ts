// Issue 21: the data store's unsynced applies of one event-loop turn share one LevelDB write;
// each one's rows and maxCommitted are there once it resolves.
import { describe, expect, it } from 'vitest';
import { LevelDb, type ApplyFn } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const apply: ApplyFn = (_e, _entry, value, tx) => tx.put(enc.encode('k'), value);

describe('unsynced applies', () => {
  it('applies of many entities issued together are one write; each is complete when it resolves', async () => {
    const db = await LevelDb.open({ memory: true }, apply, { applySync: false });
    const before = db.applyWriter.writes;
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.commit(BigInt(i), 1n, enc.encode(`v${i}`))));
    expect(db.applyWriter.writes - before).toBe(1);
    for (let i = 0; i < 20; i++) {
      expect(dec.decode((await db.get(BigInt(i), enc.encode('k')))!)).toBe(`v${i}`);
      expect(await db.maxCommitted(BigInt(i))).toBe(1n);
    }
    // one after the other: one write each
    await db.commit(1n, 2n, enc.encode('w'));
    await db.commit(2n, 2n, enc.encode('w'));
    expect(db.applyWriter.writes - before).toBe(3);
    await db.close();
  });
});
