// Issue 21: plog records are binary (the JSON ones written before still read), and a plog expiry sweep visits the records it deletes plus the first one it keeps,
// not every record of the entity (it ran every expireCheckMs over the whole plog).
import { describe, expect, it } from 'vitest';
import { concatKey, encodeBigintKey, openRecord, type Store } from '@quorumkit/shared-storage';
import { LevelPlog } from '../src/index.js';
import { emptyRecord } from '../src/core/types.js';
import { sealValue } from '../src/storage/codec.js';
import { STORED_RECORD_BINARY } from '../src/storage/peerWire.js';
import { countRangeRows } from './helpers/singleReplica.js';

const chosen = (entry: bigint) => ({ entityId: 1n, entry, record: { ...emptyRecord(), acceptedNum: 4n, valueId: 4n, value: new Uint8Array([1]), chosen: true }, maxChosen: entry });

describe('plog expiry', () => {
  it('deletes the old chosen records and stops at the first young one', async () => {
    const plog = await LevelPlog.open({ memory: true });
    for (let e = 1n; e <= 100n; e++) await plog.write([chosen(e)], 1_000);
    for (let e = 101n; e <= 200n; e++) await plog.write([chosen(e)], 5_000);
    const visits = countRangeRows((plog as unknown as { store: Store }).store.keyspace('rec'));
    expect(await plog.expire(1n, 199n, 2_000)).toBe(100);
    expect(visits.n).toBeGreaterThanOrEqual(100); // the counter sees the sweep's reads
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

describe('plog record encoding', () => {
  it('records are written binary, read back exactly, and JSON records written before still read', async () => {
    const plog = await LevelPlog.open({ memory: true });
    const rec = { preparedNum: 7n, promisedNum: 8n, acceptedNum: 4n, valueId: 4n, value: new Uint8Array([1, 2, 3]), uuids: [5n, (1n << 64n) - 1n], chosen: true };
    await plog.write([{ entityId: 2n, entry: 1n, record: rec, maxChosen: 1n }], 1_234);
    const raw = await (plog as unknown as { store: Store }).store.keyspace('rec').get(concatKey(encodeBigintKey(2n), encodeBigintKey(1n)));
    expect(openRecord(raw!)[0]).toBe(STORED_RECORD_BINARY);
    expect(await plog.getRecord(2n, 1n)).toEqual(rec);
    // a record as the JSON codec wrote it
    const ks = (plog as unknown as { store: Store }).store.keyspace('rec');
    await (plog as unknown as { store: Store }).store.write([ks.put(concatKey(encodeBigintKey(2n), encodeBigintKey(2n)), sealValue({ record: { ...rec, value: null, uuids: [] }, at: 99 }))]);
    expect(await plog.getRecord(2n, 2n)).toEqual({ ...rec, value: null, uuids: [] });
    const empty = { preparedNum: 0n, promisedNum: 0n, acceptedNum: 0n, valueId: 0n, value: null, uuids: [], chosen: false };
    await plog.write([{ entityId: 2n, entry: 3n, record: empty, maxChosen: 2n }], 5);
    expect(await plog.getRecord(2n, 3n)).toEqual(empty);
    await plog.close();
  });
});
