// Issue 21: a plog expiry sweep visits the records it deletes plus the first one it keeps,
// not every record of the entity (it ran every expireCheckMs over the whole plog).
import { describe, expect, it } from 'vitest';
import type { Keyspace, Store } from '@quorumkit/shared-storage';
import { LevelPlog } from '../src/index.js';
import { emptyRecord } from '../src/core/types.js';

function countRange(ks: Keyspace): { n: number } {
  const c = { n: 0 };
  const range = ks.range.bind(ks);
  ks.range = (opts) => ({
    async *[Symbol.asyncIterator]() {
      for await (const row of range(opts)) {
        c.n++;
        yield row;
      }
    },
  });
  return c;
}

const chosen = (entry: bigint) => ({ entityId: 1n, entry, record: { ...emptyRecord(), acceptedNum: 4n, valueId: 4n, value: new Uint8Array([1]), chosen: true }, maxChosen: entry });

describe('plog expiry', () => {
  it('deletes the old chosen records and stops at the first young one', async () => {
    const plog = await LevelPlog.open({ memory: true });
    for (let e = 1n; e <= 100n; e++) await plog.write([chosen(e)], 1_000);
    for (let e = 101n; e <= 200n; e++) await plog.write([chosen(e)], 5_000);
    const visits = countRange((plog as unknown as { store: Store }).store.keyspace('rec'));
    expect(await plog.expire(1n, 199n, 2_000)).toBe(100);
    expect(visits.n).toBeLessThanOrEqual(101);
    expect(await plog.getRecord(1n, 100n)).toBeUndefined();
    expect((await plog.getRecord(1n, 101n))?.chosen).toBe(true);
    visits.n = 0;
    expect(await plog.expire(1n, 199n, 2_000)).toBe(0);
    expect(visits.n).toBeLessThanOrEqual(1);
    expect(await plog.expire(1n, 199n, 6_000)).toBe(99); // the newest (200) is above upTo
    await plog.close();
  });
});
