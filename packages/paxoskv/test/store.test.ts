// The durable acceptor store on classic-level: promises of untouched-looking versions
// survive a reopen, hints (COMMIT) are flushed on close, and concurrent writes share fsyncs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptorStore, accept, ballot, commit, i64Value, prepare } from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'paxoskv-store-'));
  dirs.push(d);
  return d;
}

describe('AcceptorStore', () => {
  it('keeps promises and votes of every version across a reopen', async () => {
    const d = await dir();
    let st = await AcceptorStore.open(d);
    await st.apply({ key: 'k', ver: 5n }, (s) => prepare(s, ballot(9, 1))); // a promise only, no vote
    await st.apply({ key: 'k', ver: 2n }, (s) => accept(s, ballot(3, 1), i64Value(7)));
    await st.close();
    st = await AcceptorStore.open(d);
    expect((await st.read({ key: 'k', ver: 5n })).lastBal).toEqual(ballot(9, 1));
    expect((await st.read({ key: 'k', ver: 2n })).val).toEqual(i64Value(7));
    expect((await st.read({ key: 'k', ver: 6n })).lastBal).toEqual(ballot(0, 0));
    expect((await st.latest('k')).ver).toBe(2n); // the highest VOTED version
    await st.close();
  });

  it('writes a COMMIT hint lazily, and close() still makes it durable', async () => {
    const d = await dir();
    let st = await AcceptorStore.open(d, { lazyFlushMs: 60_000 });
    const syncs = st.syncCount;
    await st.apply({ key: 'c', ver: 0n }, (s) => commit(s, i64Value(4)), { lazy: true });
    expect(st.syncCount).toBe(syncs); // no fsync of its own
    expect((await st.read({ key: 'c', ver: 0n })).chosen).toEqual(i64Value(4));
    await st.close();
    st = await AcceptorStore.open(d);
    expect((await st.read({ key: 'c', ver: 0n })).chosen).toEqual(i64Value(4));
    expect((await st.latest('c')).ver).toBe(0n);
    await st.close();
  });

  it('concurrent changes share fsyncs (group commit) and each reply waits for its own', async () => {
    const st = await AcceptorStore.open(await dir());
    await st.apply({ key: 'warm', ver: 0n }, (s) => prepare(s, ballot(1, 1)));
    for (let i = 0; i < 100; i++) await st.read({ key: `g${i}`, ver: 0n }); // load the per-key indexes
    const before = st.syncCount;
    await Promise.all(Array.from({ length: 100 }, (_, i) => st.apply({ key: `g${i}`, ver: 0n }, (s) => prepare(s, ballot(1, 1)))));
    const used = st.syncCount - before;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(10);
    await st.close();
  });

  it('serialises transitions of one instance in arrival order', async () => {
    const st = await AcceptorStore.open({ memory: true });
    const replies = await Promise.all([
      st.apply({ key: 's', ver: 0n }, (s) => prepare(s, ballot(1, 1))),
      st.apply({ key: 's', ver: 0n }, (s) => prepare(s, ballot(2, 1))),
      st.apply({ key: 's', ver: 0n }, (s) => accept(s, ballot(1, 1), i64Value(1))),
    ]);
    expect(replies[0]!.lastBal).toEqual(ballot(0, 0));
    expect(replies[1]!.lastBal).toEqual(ballot(1, 1));
    expect(replies[2]!.lastBal).toEqual(ballot(2, 1)); // rejected: (1,1) < (2,1)
    expect((await st.read({ key: 's', ver: 0n })).val).toBeNull();
    await st.close();
  });
});

describe('no per-key index is trusted to skip a disk read (issue 17 item 1)', () => {
  it('the highest versions are read from the instance records; a damaged record is detected', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openStore, concatKey, encodeBigintKey, encodeStringKey, encodeJson, CorruptRecordError } = await import('@quorumkit/shared-storage');
    const { AcceptorStore } = await import('../src/index.js');
    const { accept, ballot, i64Value } = await import('../src/core/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'paxoskv-maxver-'));
    try {
      const s1 = await AcceptorStore.open(dir);
      await s1.apply({ key: 'k', ver: 3n }, (s) => accept(s, ballot(1, 1), i64Value(7)));
      await s1.apply({ key: 'j', ver: 1n }, (s) => accept(s, ballot(1, 1), i64Value(8)));
      await s1.close();
      // a leftover index record of an older layout that claims nothing was ever touched
      const raw = await openStore(dir);
      await raw.write([raw.keyspace('maxver').put(encodeStringKey('k'), encodeJson([-1n, -1n]))]);
      // and a damaged instance record (j@1: not sealed)
      await raw.write([raw.keyspace('inst').put(concatKey(encodeStringKey('j'), encodeBigintKey(1n)), encodeJson({ l: [9n, 9n] }))]);
      await raw.close();
      const s2 = await AcceptorStore.open(dir);
      expect((await s2.read({ key: 'k', ver: 3n })).val?.vi64).toBe(7n);
      expect((await s2.latest('k')).ver).toBe(3n);
      await expect(s2.read({ key: 'j', ver: 1n })).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(s2.latest('j')).rejects.toBeInstanceOf(CorruptRecordError);
      await s2.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
