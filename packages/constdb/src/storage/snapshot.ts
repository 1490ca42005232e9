// Snapshot file: magic, format version, node metadata (own op seq, clock, replication
// positions, peers), then every key record. shared-storage's writeFileAtomic frames it
// with a CRC32 and writes it atomically (temp file, fsync, rename, directory fsync), so a
// crash leaves the old or the new snapshot, never a torn one; readFileChecked verifies it.
import { Writer, Reader, writeKeyRec, readKeyRec } from '../core/codec.js';
import type { KeyRec } from '../core/keyrec.js';
import { QuorumkitError, writeFileAtomic, readFileChecked } from '@quorumkit/shared-storage';

export const SNAPSHOT_MAGIC = 'CONSTDB\0';
export const SNAPSHOT_VERSION = 2; // 2: counters keyed by (node, epoch)

export class SnapshotCorruptError extends QuorumkitError {
  constructor(path: string, why: string) {
    super('ECORRUPT', `snapshot ${path} is corrupt: ${why}`);
  }
}

export interface PeerMeta { id: number; host: string; port: number }

export interface SnapshotMeta {
  nodeId: number;
  ownSeq: bigint;
  clock: bigint;
  /** origin -> last op seq applied from it */
  applied: Map<number, bigint>;
  peers: PeerMeta[];
  forgotten: number[];
}

export function encodeMeta(w: Writer, m: SnapshotMeta): void {
  w.varint(m.nodeId);
  w.u64(m.ownSeq);
  w.u64(m.clock);
  w.varint(m.applied.size);
  for (const [o, s] of m.applied) {
    w.varint(o);
    w.u64(s);
  }
  w.varint(m.peers.length);
  for (const p of m.peers) {
    w.varint(p.id);
    w.latin1(p.host);
    w.varint(p.port);
  }
  w.varint(m.forgotten.length);
  for (const f of m.forgotten) w.varint(f);
}

export function decodeMeta(r: Reader): SnapshotMeta {
  const nodeId = r.varint();
  const ownSeq = r.u64();
  const clock = r.u64();
  const applied = new Map<number, bigint>();
  for (let i = r.varint(); i > 0; i--) applied.set(r.varint(), r.u64());
  const peers: PeerMeta[] = [];
  for (let i = r.varint(); i > 0; i--) peers.push({ id: r.varint(), host: r.latin1(), port: r.varint() });
  const forgotten: number[] = [];
  for (let i = r.varint(); i > 0; i--) forgotten.push(r.varint());
  return { nodeId, ownSeq, clock, applied, peers, forgotten };
}

export function encodeSnapshot(meta: SnapshotMeta, keys: Iterable<[string, KeyRec]>): Buffer {
  const w = new Writer(64 * 1024);
  w.ensure(9);
  w.len += w.buf.write(SNAPSHOT_MAGIC, 0, 'latin1');
  w.u8(SNAPSHOT_VERSION);
  encodeMeta(w, meta);
  let count = 0;
  const countAt = w.len;
  w.u64(0n);
  for (const [k, rec] of keys) {
    w.latin1(k);
    writeKeyRec(w, rec);
    count++;
  }
  w.buf.writeBigUInt64LE(BigInt(count), countAt);
  return w.result();
}

export function decodeSnapshot(buf: Buffer, path = 'snapshot'): { meta: SnapshotMeta; keys: Array<[string, KeyRec]> } {
  if (buf.length < 9 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new SnapshotCorruptError(path, 'bad magic');
  const version = buf[8];
  if (version !== SNAPSHOT_VERSION) throw new SnapshotCorruptError(path, `unknown format version ${version}`);
  const r = new Reader(buf, 9, buf.length);
  const meta = decodeMeta(r);
  const n = Number(r.u64());
  const keys: Array<[string, KeyRec]> = [];
  for (let i = 0; i < n; i++) keys.push([r.latin1(), readKeyRec(r)]);
  return { meta, keys };
}

export async function writeSnapshotFile(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

export async function readSnapshotFile(path: string): Promise<ReturnType<typeof decodeSnapshot> | undefined> {
  const buf = await readFileChecked(path);
  if (!buf) return undefined;
  return decodeSnapshot(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
