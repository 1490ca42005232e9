// The snapshot file in shared-storage's atomic-file frame (magic "QKAF" | version | length |
// CRC32 over the first 12 header bytes and the payload), written and checked without holding
// the event loop: the payload stays a list of chunks (never joined into one buffer), the CRC
// runs a chunk at a time with a turn of the loop between chunks, and the chunks are written
// one by one before the fsync and the atomic rename. Files it writes are read by
// shared-storage's readFileChecked and the other way round.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  ATOMIC_FILE_HEADER_BYTES, ATOMIC_FILE_MAGIC, ATOMIC_FILE_PAYLOAD_BYTES_MAX, ATOMIC_FILE_VERSION,
  CorruptFileError, crc32, replaceFileDurably,
} from '@quorumkit/shared-storage';

/** bytes checksummed per event-loop turn (1 MB: a few ms even on a loaded machine) */
const CRC_SLICE = 1024 * 1024;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function crcSliced(parts: Uint8Array[], previous: number): Promise<number> {
  let crc = previous;
  let sinceYield = 0;
  for (const p of parts) {
    for (let off = 0; off < p.length; off += CRC_SLICE) {
      const piece = p.subarray(off, Math.min(p.length, off + CRC_SLICE));
      crc = crc32(piece, crc);
      sinceYield += piece.length;
      if (sinceYield >= CRC_SLICE) {
        sinceYield = 0;
        await nextTurn();
      }
    }
  }
  return crc;
}

function header(length: number): Buffer {
  const h = Buffer.alloc(ATOMIC_FILE_HEADER_BYTES);
  h.set(ATOMIC_FILE_MAGIC, 0);
  h[4] = ATOMIC_FILE_VERSION;
  h.writeUInt32BE(length, 8);
  return h;
}

// one writer per path at a time (the node serializes its snapshots; this keeps tests honest)
const inFlight = new Map<string, Promise<void>>();

/** Durably replaces `path` with the framed concatenation of `chunks`. */
export async function writeChunkedFileAtomic(path: string, chunks: Uint8Array[]): Promise<void> {
  const key = resolve(path);
  const before = inFlight.get(key) ?? Promise.resolve();
  const mine = before.then(() => writeNow(key, chunks));
  const settled = mine.then(() => undefined, () => undefined);
  inFlight.set(key, settled);
  try {
    await mine;
  } finally {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  }
}

async function writeNow(path: string, chunks: Uint8Array[]): Promise<void> {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  if (length > ATOMIC_FILE_PAYLOAD_BYTES_MAX) throw new RangeError(`snapshot of ${length} bytes exceeds the file frame's ${ATOMIC_FILE_PAYLOAD_BYTES_MAX}`);
  const h = header(length);
  h.writeUInt32BE(await crcSliced(chunks, crc32(h.subarray(0, 12))), 12);
  await replaceFileDurably(path, [h, ...chunks]);
}

/** Reads a framed file (off the loop) and checks it in slices; the payload is a view, not a copy. */
export async function readChunkedFileChecked(path: string): Promise<Buffer | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (raw.length < ATOMIC_FILE_HEADER_BYTES) throw new CorruptFileError(path, `${raw.length} bytes is shorter than the header`);
  if (!raw.subarray(0, 4).equals(Buffer.from(ATOMIC_FILE_MAGIC)) || raw[4] !== ATOMIC_FILE_VERSION) throw new CorruptFileError(path, 'bad magic or version');
  const length = raw.readUInt32BE(8);
  if (length !== raw.length - ATOMIC_FILE_HEADER_BYTES) throw new CorruptFileError(path, `header says ${length} payload bytes, file has ${raw.length - ATOMIC_FILE_HEADER_BYTES}`);
  const payload = raw.subarray(ATOMIC_FILE_HEADER_BYTES);
  const actual = await crcSliced([payload], crc32(raw.subarray(0, 12)));
  if (actual !== raw.readUInt32BE(12)) throw new CorruptFileError(path, 'CRC32 mismatch');
  return payload;
}
