// Issue 20 item 12: writing a snapshot (and streaming one to a peer) must not hold the
// event loop for the whole keyspace. Measured as work, not time: the encoder gives the
// event loop a turn at least every SNAPSHOT_SLICE_RECORDS records, and clients writing
// meanwhile do not change what the snapshot holds (a consistent cut, copy on write).
import { describe, expect, it } from 'vitest';
import { TestNode, canon } from './helpers.js';
import { decodeSnapshot, type SnapshotMeta } from '../src/storage/snapshot.js';
import { encodeSnapshotAsync, decodeSnapshotSlices } from '../src/storage/snapshotAsync.js';

const meta: SnapshotMeta = { nodeId: 1, ownSeq: 5n, clock: 9n, applied: new Map(), peers: [], forgotten: [] };

function canonAll(entries: Iterable<[string, import('../src/core/keyrec.js').KeyRec]>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, r] of entries) m.set(k, canon(r));
  return m;
}

describe('snapshot in slices', () => {
  it('yields to the event loop while encoding, and holds exactly the state at its start', async () => {
    const n = new TestNode(1);
    for (let i = 0; i < 20_000; i++) n.run('SET', `k${i}`, `v${i}`);
    n.run('SADD', 's', 'a', 'b');
    const cut = canonAll(n.db.keys);
    let turns = 0;
    let stop = false;
    const writer = (i: number): void => {
      if (stop) return;
      turns++;
      // a client writing between slices: overwrite, create, delete, grow a set
      n.run('SET', `k${i}`, 'changed');
      n.run('SET', `fresh${i}`, 'x');
      n.run('DEL', `k${19_999 - i}`);
      n.run('SADD', 's', `m${i}`);
      setImmediate(() => writer(i + 1));
    };
    setImmediate(() => writer(0));
    const bytes = await encodeSnapshotAsync(meta, n.db, 1000);
    stop = true;
    expect(turns).toBeGreaterThanOrEqual(15);
    expect(n.db.beforeChange).toBeUndefined();
    const back = decodeSnapshot(bytes);
    expect(canonAll(back.keys)).toEqual(cut);
  });

  it('decodes in slices with the same records', async () => {
    const n = new TestNode(1);
    for (let i = 0; i < 5000; i++) n.run('HSET', `h${i}`, 'f', `${i}`);
    const bytes = await encodeSnapshotAsync(meta, n.db, 700);
    const gen = decodeSnapshotSlices(bytes, 'test', 700);
    const got: Array<[string, import('../src/core/keyrec.js').KeyRec]> = [];
    let slices = 0;
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(r.value.ownSeq).toBe(5n);
        break;
      }
      expect(r.value.length).toBeLessThanOrEqual(700);
      slices++;
      got.push(...r.value);
    }
    expect(slices).toBe(Math.ceil(5000 / 700));
    expect(canonAll(got)).toEqual(canonAll(n.db.keys));
  });
});
