// Snapshot encoding and reading that never hold the event loop for long: records are
// encoded (or decoded) in slices with a turn of the event loop between slices, so clients
// keep being served while a large keyspace is written or streamed to a peer.
// The snapshot is still a consistent cut taken when encoding starts: while it runs, the
// first change to a key not encoded yet first saves that key's record as it was (copy on
// write, through Db.beforeChange), and keys created after the cut are left out. So a
// snapshot never shows part of an EXEC or any state newer than its metadata.
import { Writer, Reader, writeKeyRec, readKeyRec } from '../core/codec.js';
import type { Db } from '../core/db.js';
import { skipKeyRec } from '../core/codecSkip.js';
import type { KeyRec } from '../core/keyrec.js';
import { SNAPSHOT_MAGIC, SNAPSHOT_VERSION, SnapshotCorruptError, encodeMeta, decodeMeta, type SnapshotMeta } from './snapshot.js';

/** Records encoded or decoded per slice (between two event-loop turns). */
export const SNAPSHOT_SLICE_RECORDS = 2048;

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A slice also ends once it has run this long (checked every 64 records): on a loaded
 * machine a fixed record count can take far longer than on a quiet one (issue 20 item 12).
 */
export const SNAPSHOT_SLICE_MS = 3;
const overBudget = (n: number, t0: number): boolean => (n & 63) === 0 && performance.now() - t0 >= SNAPSHOT_SLICE_MS;

/** The encoding is handed on as chunks of about this size (never joined: no big copies). */
const CHUNK_BYTES = 1024 * 1024;

export async function encodeSnapshotAsync(meta: SnapshotMeta, db: Db, sliceRecords = SNAPSHOT_SLICE_RECORDS): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let w = new Writer(64 * 1024);
  const head = w;
  w.ensure(9);
  w.len += w.buf.write(SNAPSHOT_MAGIC, 0, 'latin1');
  w.u8(SNAPSHOT_VERSION);
  encodeMeta(w, meta);
  const countAt = w.len;
  w.u64(0n);
  let count = 0;
  // key -> its record at the cut (encoded before it changed), or null: created after the cut
  const saved = new Map<string, Buffer | null>();
  const done = new Set<string>();
  const one = new Writer(256);
  db.beforeChange = (key, rec) => {
    if (done.has(key) || saved.has(key)) return;
    if (!rec) {
      saved.set(key, null);
      return;
    }
    one.len = 0;
    one.latin1(key);
    writeKeyRec(one, rec);
    saved.set(key, Buffer.from(one.result()));
  };
  try {
    let inSlice = 0;
    let t0 = performance.now();
    for (const [key, rec] of db.keys) {
      const pre = saved.get(key);
      if (pre === null) continue;
      if (pre) {
        w.ensure(pre.length);
        w.buf.set(pre, w.len);
        w.len += pre.length;
      } else {
        w.latin1(key);
        writeKeyRec(w, rec);
      }
      done.add(key);
      count++;
      if (w.len >= CHUNK_BYTES) {
        chunks.push(w.result());
        w = new Writer(CHUNK_BYTES + 64 * 1024);
      }
      if (++inSlice >= sliceRecords || overBudget(inSlice, t0)) {
        inSlice = 0;
        await nextTurn();
        t0 = performance.now();
      }
    }
    // keys changed at the cut and then dropped by GC before the walk reached them: their
    // saved (tombstone-only) record still belongs to the cut
    for (const [key, pre] of saved) {
      if (pre === null || done.has(key)) continue;
      w.ensure(pre.length);
      w.buf.set(pre, w.len);
      w.len += pre.length;
      count++;
    }
  } finally {
    db.beforeChange = undefined;
  }
  if (w.len > 0 || chunks.length === 0) chunks.push(w.result());
  // the record count lives in the first chunk (its writer's buffer is shared with it)
  head.buf.writeBigUInt64LE(BigInt(count), countAt);
  return chunks;
}

/** Reads a snapshot's records in slices: yields each slice of [key, record]. */
export async function* decodeSnapshotSlices(buf: Buffer, path: string, sliceRecords = SNAPSHOT_SLICE_RECORDS): AsyncGenerator<Array<[string, KeyRec]>, SnapshotMeta> {
  if (buf.length < 9 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotCorruptError(path, 'bad magic');
  if (buf[8] !== SNAPSHOT_VERSION) throw new SnapshotCorruptError(path, `unknown format version ${buf[8]}`);
  const r = new Reader(buf, 9, buf.length);
  const meta = decodeMeta(r);
  let n = Number(r.u64());
  while (n > 0) {
    const slice: Array<[string, KeyRec]> = [];
    const t0 = performance.now();
    for (let i = 0; i < sliceRecords && n > 0 && !(i > 0 && overBudget(i, t0)); i++, n--) slice.push([r.latin1(), readKeyRec(r)]);
    yield slice;
    await nextTurn();
  }
  return meta;
}

/** The metadata of a snapshot buffer (without decoding its records). */
export function snapshotMetaOf(buf: Buffer, path: string): SnapshotMeta {
  if (buf.length < 9 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotCorruptError(path, 'bad magic');
  if (buf[8] !== SNAPSHOT_VERSION) throw new SnapshotCorruptError(path, `unknown format version ${buf[8]}`);
  return decodeMeta(new Reader(buf, 9, buf.length));
}

/**
 * The records of a snapshot buffer as views of ~`chunkBytes` holding whole (key, record)
 * entries, found by walking the encoding without decoding it (no allocation per record),
 * with a turn of the event loop between chunks. A full sync streams these as they are.
 */
export async function* snapshotRecordChunks(buf: Buffer, path: string, chunkBytes = 256 * 1024): AsyncGenerator<Buffer> {
  if (buf.length < 9 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotCorruptError(path, 'bad magic');
  if (buf[8] !== SNAPSHOT_VERSION) throw new SnapshotCorruptError(path, `unknown format version ${buf[8]}`);
  const r = new Reader(buf, 9, buf.length);
  decodeMeta(r);
  let n = Number(r.u64());
  let start = r.pos;
  while (n > 0) {
    r.skip(r.varint());
    skipKeyRec(r);
    n--;
    if (r.pos - start >= chunkBytes || n === 0) {
      yield buf.subarray(start, r.pos);
      start = r.pos;
      await nextTurn();
    }
  }
}
