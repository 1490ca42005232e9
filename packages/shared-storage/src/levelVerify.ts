import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c, maskCrc } from './crc32c.js';

// Checks a LevelDB directory before classic-level opens it. classic-level does not expose
// LevelDB's paranoid_checks, so on open LevelDB silently skips damaged WAL records (a flipped
// bit = a forgotten promise) and silently creates an empty database when CURRENT is gone.
// Every write here is { sync: true } and kill -9 never tears a file, so any record that fails
// its checksum or is cut short is damage, not a normal crash leftover.

const BLOCK_BYTES = 32 * 1024;
const RECORD_HEADER_BYTES = 7;
const TYPE_FULL = 1;
const TYPE_FIRST = 2;
const TYPE_MIDDLE = 3;
const TYPE_LAST = 4;

export type LevelDirKind = 'absent' | 'empty' | 'present';

export interface LevelDirReport {
  kind: LevelDirKind;
  /** Everything wrong with it; empty when the directory is intact (or absent/empty). */
  problems: string[];
}

/** Scan the records of one LevelDB log-format file (a WAL `*.log` or a `MANIFEST-*`). */
export function verifyLogBytes(bytes: Uint8Array, name: string): string[] {
  const problems: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  let inFragment = false;
  while (off < bytes.length) {
    const leftInBlock = BLOCK_BYTES - (off % BLOCK_BYTES);
    if (leftInBlock < RECORD_HEADER_BYTES) {
      // A block trailer too short for a header is zero padding.
      for (let i = off; i < Math.min(bytes.length, off + leftInBlock); i++) {
        if (bytes[i] !== 0) return [...problems, `${name}: non-zero block trailer at offset ${i}`];
      }
      off += leftInBlock;
      continue;
    }
    if (off + RECORD_HEADER_BYTES > bytes.length) return [...problems, `${name}: record header cut short at offset ${off}`];
    const stored = view.getUint32(off, true);
    const length = view.getUint16(off + 4, true);
    const type = bytes[off + 6]!;
    if (type === 0 && length === 0 && stored === 0) {
      // LevelDB preallocates nothing, but a zeroed tail of a block is how a reused log ends.
      off += leftInBlock;
      continue;
    }
    if (type < TYPE_FULL || type > TYPE_LAST) return [...problems, `${name}: bad record type ${type} at offset ${off}`];
    if (RECORD_HEADER_BYTES + length > leftInBlock) return [...problems, `${name}: record at offset ${off} crosses its block (length ${length})`];
    const end = off + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) return [...problems, `${name}: record at offset ${off} cut short (${bytes.length - off - RECORD_HEADER_BYTES} of ${length} bytes)`];
    const actual = maskCrc(crc32c(bytes, 0, off + 6, end));
    if (actual !== stored) return [...problems, `${name}: checksum mismatch in record at offset ${off}`];
    if ((type === TYPE_MIDDLE || type === TYPE_LAST) && !inFragment) return [...problems, `${name}: fragment without a start at offset ${off}`];
    if ((type === TYPE_FULL || type === TYPE_FIRST) && inFragment) return [...problems, `${name}: fragmented record interrupted at offset ${off}`];
    inFragment = type === TYPE_FIRST || type === TYPE_MIDDLE;
    off = end;
  }
  if (inFragment) problems.push(`${name}: last record is missing its end fragment`);
  return problems;
}

const TABLE_FOOTER_BYTES = 48;
const TABLE_MAGIC_LO = 0x8b80fb57;
const TABLE_MAGIC_HI = 0xdb477524;
const BLOCK_TRAILER_BYTES = 5;

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift <= 49; i++) {
    const b = bytes[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, i + 1];
    shift += 7;
  }
  throw new Error(`bad varint at offset ${at}`);
}

function checkBlock(bytes: Uint8Array, offset: number, size: number, name: string): string | undefined {
  const end = offset + size;
  if (offset < 0 || end + BLOCK_TRAILER_BYTES > bytes.length) return `${name}: block at ${offset} (+${size}) lies outside the file`;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end + 1, true);
  const actual = maskCrc(crc32c(bytes, 0, offset, end + 1));
  return actual === stored ? undefined : `${name}: checksum mismatch in block at offset ${offset}`;
}

/** Verify a LevelDB table (`*.ldb` / `*.sst`): footer magic, index block and every data block's CRC. */
export function verifyTableBytes(bytes: Uint8Array, name: string): string[] {
  if (bytes.length < TABLE_FOOTER_BYTES) return [`${name}: ${bytes.length} bytes is shorter than a table footer`];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const footer = bytes.length - TABLE_FOOTER_BYTES;
  if (view.getUint32(bytes.length - 8, true) !== TABLE_MAGIC_LO || view.getUint32(bytes.length - 4, true) !== TABLE_MAGIC_HI) {
    return [`${name}: bad table magic`];
  }
  try {
    const [metaOff, a1] = readVarint(bytes, footer);
    const [metaSize, a2] = readVarint(bytes, a1);
    const [indexOff, a3] = readVarint(bytes, a2);
    const [indexSize] = readVarint(bytes, a3);
    const problems: string[] = [];
    for (const [o, s] of [[metaOff, metaSize], [indexOff, indexSize]] as const) {
      const p = checkBlock(bytes, o, s, name);
      if (p) return [p];
    }
    // A snappy-compressed index block cannot be walked without a decompressor; its own CRC
    // (checked above) still covers it, and its data blocks are then checked on read only.
    if (bytes[indexOff + indexSize] !== 0) return problems;
    // Index block entries: shared, non_shared, value_length varints, key delta, value = block handle.
    const restarts = view.getUint32(indexOff + indexSize - 4, true);
    const entriesEnd = indexOff + indexSize - 4 - restarts * 4;
    let p = indexOff;
    while (p < entriesEnd) {
      const [, q1] = readVarint(bytes, p);
      const [nonShared, q2] = readVarint(bytes, q1);
      const [valueLength, q3] = readVarint(bytes, q2);
      const valueAt = q3 + nonShared;
      const [blockOff, r1] = readVarint(bytes, valueAt);
      const [blockSize] = readVarint(bytes, r1);
      const bad = checkBlock(bytes, blockOff, blockSize, name);
      if (bad) problems.push(bad);
      p = valueAt + valueLength;
    }
    return problems;
  } catch (err) {
    return [`${name}: unreadable table structure (${(err as Error).message})`];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Check a LevelDB directory: 'absent' (no such directory), 'empty' (no LevelDB files) or
 * 'present' with the problems found: CURRENT missing or naming a missing MANIFEST, and any
 * damaged record in the MANIFEST or a WAL, or damaged block in a table.
 */
export async function verifyLevelDbDir(dir: string): Promise<LevelDirReport> {
  if (!(await exists(dir))) return { kind: 'absent', problems: [] };
  const names = await readdir(dir);
  const levelFiles = names.filter((n) => n === 'CURRENT' || n.startsWith('MANIFEST-') || /^\d+\.(log|ldb|sst)$/.test(n));
  if (levelFiles.length === 0) return { kind: 'empty', problems: [] };
  const problems: string[] = [];
  if (!names.includes('CURRENT')) {
    problems.push(`${dir}: CURRENT is missing next to ${levelFiles.length} LevelDB file(s)`);
  } else {
    const current = (await readFile(join(dir, 'CURRENT'), 'utf8')).trim();
    if (!/^MANIFEST-\d+$/.test(current)) problems.push(`${dir}: CURRENT does not name a manifest`);
    else if (!names.includes(current)) problems.push(`${dir}: CURRENT names ${current}, which is missing`);
  }
  for (const n of levelFiles) {
    if (n === 'CURRENT') continue;
    const bytes = new Uint8Array(await readFile(join(dir, n)));
    if (n.startsWith('MANIFEST-') || n.endsWith('.log')) problems.push(...verifyLogBytes(bytes, n));
    else problems.push(...verifyTableBytes(bytes, n));
  }
  return { kind: 'present', problems };
}
