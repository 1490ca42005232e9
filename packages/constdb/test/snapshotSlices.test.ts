// Issue 20 item 12: writing a snapshot (and streaming one to a peer) must not hold the
// event loop for the whole keyspace. Measured as work, not time: the encoder gives the
// event loop a turn at least every SNAPSHOT_SLICE_RECORDS records, and clients writing
// meanwhile do not change what the snapshot holds (a consistent cut, copy on write).
import { describe, expect, it } from 'vitest';
import { TestNode, canon } from './helpers.js';
import { decodeSnapshot, type SnapshotMeta } from '../src/storage/snapshot.js';
import { encodeSnapshotAsync, decodeSnapshotSlices, snapshotRecordChunks } from '../src/storage/snapshotAsync.js';
import { Reader, readKeyRec } from '../src/core/codec.js';
import { readChunkedFileChecked, writeChunkedFileAtomic } from '../src/storage/chunkedFile.js';
import { CorruptFileError, readFileChecked } from '@quorumkit/shared-storage';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    const bytes = Buffer.concat(await encodeSnapshotAsync(meta, n.db, 1000));
    stop = true;
    expect(turns).toBeGreaterThanOrEqual(15);
    expect(n.db.beforeChange).toBeUndefined();
    const back = decodeSnapshot(bytes);
    expect(canonAll(back.keys)).toEqual(cut);
  });

  it('decodes in slices with the same records', async () => {
    const n = new TestNode(1);
    for (let i = 0; i < 5000; i++) n.run('HSET', `h${i}`, 'f', `${i}`);
    const bytes = Buffer.concat(await encodeSnapshotAsync(meta, n.db, 700));
    const gen = decodeSnapshotSlices(bytes, 'test', 700);
    const got: Array<[string, import('../src/core/keyrec.js').KeyRec]> = [];
    const sizes: number[] = [];
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(r.value.ownSeq).toBe(5n);
        break;
      }
      sizes.push(r.value.length);
      got.push(...r.value);
    }
    // A slice ends at 700 records or earlier when its time budget is spent (checked every 64
    // records), so how many slices there are depends on the machine's speed; their bounds do not.
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(5000 / 700));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(700);
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(64);
    expect(canonAll(got)).toEqual(canonAll(n.db.keys));
  });

  it('the file is written and checked in chunks (many chunks, CRC a slice per turn); shared-storage reads it; damage is refused', async () => {
    const n = new TestNode(1);
    const big = 'v'.repeat(1000);
    for (let i = 0; i < 3000; i++) n.run('SET', `k${i}`, big);
    const chunks = await encodeSnapshotAsync(meta, n.db);
    expect(chunks.length).toBeGreaterThan(2); // ~3 MB: never joined into one buffer
    const path = join(mkdtempSync(join(tmpdir(), 'constdb-chunk-')), 'constdb.snapshot');
    await writeChunkedFileAtomic(path, chunks);
    const viaShared = await readFileChecked(path);
    expect(Buffer.from(viaShared!).equals(Buffer.concat(chunks))).toBe(true);
    const mine = await readChunkedFileChecked(path);
    expect(mine!.equals(Buffer.concat(chunks))).toBe(true);
    expect(canonAll(decodeSnapshot(mine!).keys)).toEqual(canonAll(n.db.keys));
    const raw = readFileSync(path);
    raw[raw.length >> 1]! ^= 0x20;
    writeFileSync(path, raw);
    await expect(readChunkedFileChecked(path)).rejects.toThrow(CorruptFileError);
  });

  it("a full sync streams the file's record bytes cut at record boundaries, without decoding them", async () => {
    const n = new TestNode(1);
    for (let i = 0; i < 4000; i++) n.run('SET', `k${i}`, 'x'.repeat(i % 300));
    n.run('SADD', 's', 'a', 'b');
    n.run('HINCRBY', 'h', 'f', '3');
    n.run('EXPIRE', 's', '100');
    const buf = Buffer.concat(await encodeSnapshotAsync(meta, n.db));
    const got: Array<[string, import('../src/core/keyrec.js').KeyRec]> = [];
    let chunks = 0;
    for await (const chunk of snapshotRecordChunks(buf, 'test', 64 * 1024)) {
      chunks++;
      const r = new Reader(chunk);
      while (!r.done) got.push([r.latin1(), readKeyRec(r)]);
    }
    expect(chunks).toBeGreaterThan(3);
    expect(canonAll(got)).toEqual(canonAll(n.db.keys));
    // a cut record is refused, not streamed
    const bad = buf.subarray(0, buf.length - 3);
    await expect((async () => {
      for await (const c of snapshotRecordChunks(bad, 'test')) void c;
    })()).rejects.toThrow();
  });
});
