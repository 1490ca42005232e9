// Reads the frames of an AOF buffer and classifies any damage. A crash mid-append can only
// damage the end of the file, so damage is a *torn tail* (safe to cut, as Redis's
// aof-load-truncated) only when no intact frame follows it; an intact frame after the
// damage means bytes in the middle changed (disk, tooling, a flipped bit) and cutting there
// would silently drop good ops, so the node refuses to start instead.
// Frame: u32 length (top bit: more ops of this unit follow) | u32 CRC32 | op bytes, where op
// bytes start with the u64 seq.
import { crc32 } from 'node:zlib';

export const MORE_BIT = 0x80000000;
const LEN_MASK = 0x7fffffff;
/** smallest op: u64 seq + a key length byte */
const OP_BYTES_MIN = 9;

export interface AofOp { op: Buffer; more: boolean }

export interface AofScan {
  ops: AofOp[];
  /** bytes of intact, complete units from the start */
  goodBytes: number;
  fileBytes: number;
  /** where the first damaged frame starts (undefined: none) */
  damageAt?: number;
  /** an intact frame found after the damage (so it is not a torn tail) */
  intactAfter?: number;
  /** ops dropped because their unit (EXEC) was not complete */
  unitOpsDropped: number;
}

function frameAt(buf: Buffer, off: number, minSeq: bigint): { op: Buffer; more: boolean; end: number } | undefined {
  if (off + 8 > buf.length) return undefined;
  const word = buf.readUInt32LE(off);
  const len = word & LEN_MASK;
  if (len < OP_BYTES_MIN || off + 8 + len > buf.length) return undefined;
  const op = buf.subarray(off + 8, off + 8 + len);
  if (op.readBigUInt64LE(0) < minSeq) return undefined;
  if (crc32(op) !== buf.readUInt32LE(off + 4)) return undefined;
  return { op, more: (word & MORE_BIT) !== 0, end: off + 8 + len };
}

/** CRC work spent looking for an intact frame after damage before assuming there is one. */
const RESYNC_CRC_BYTES_MAX = 256 * 1024 * 1024;

/** Looks for any intact frame starting after `from` whose seq is above `minSeq`. */
function findIntactAfter(buf: Buffer, from: number, minSeq: bigint): number | undefined {
  let budget = RESYNC_CRC_BYTES_MAX;
  for (let p = from + 1; p + 8 + OP_BYTES_MIN <= buf.length; p++) {
    const len = buf.readUInt32LE(p) & LEN_MASK;
    if (len < OP_BYTES_MIN || p + 8 + len > buf.length) continue;
    if (buf.readBigUInt64LE(p + 8) <= minSeq) continue;
    budget -= len;
    // out of budget: cannot show the rest is garbage, so treat it as if intact data followed
    if (budget < 0) return p;
    if (crc32(buf.subarray(p + 8, p + 8 + len)) === buf.readUInt32LE(p + 4)) return p;
  }
  return undefined;
}

export function scanAof(buf: Buffer): AofScan {
  const ops: AofOp[] = [];
  let off = 0;
  let unitEnd = 0;
  let unitOps = 0;
  let lastSeq = 0n;
  while (off < buf.length) {
    const f = frameAt(buf, off, 0n);
    if (!f) break;
    ops.push({ op: f.op, more: f.more });
    lastSeq = f.op.readBigUInt64LE(0);
    off = f.end;
    if (!f.more) {
      unitEnd = off;
      unitOps = ops.length;
    }
  }
  const scan: AofScan = { ops, goodBytes: unitEnd, fileBytes: buf.length, unitOpsDropped: ops.length - unitOps };
  ops.length = unitOps;
  if (off < buf.length) {
    scan.damageAt = off;
    const after = findIntactAfter(buf, off, lastSeq);
    if (after !== undefined) scan.intactAfter = after;
  }
  return scan;
}

/** Counts intact frames from `from` on (for the check tool's report). */
export function countIntactFrom(buf: Buffer, from: number): number {
  let n = 0;
  let off = from;
  while (off < buf.length) {
    const f = frameAt(buf, off, 0n);
    if (!f) {
      const next = findIntactAfter(buf, off, 0n);
      if (next === undefined) break;
      off = next;
      continue;
    }
    n++;
    off = f.end;
  }
  return n;
}
