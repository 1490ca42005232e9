import { open, readFile, rename, unlink } from 'node:fs/promises';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { crc32 } from './crc32.js';
import { CorruptFileError, InvalidArgumentError } from './errors.js';

// File frame: magic "QKAF" | version u8 | 3 zero bytes | payload length u32 BE | CRC32 u32 BE
// over the first 12 header bytes and the payload. A torn write, a truncation, a flipped bit or
// a foreign file all fail one of these checks.

export const ATOMIC_FILE_MAGIC = Uint8Array.from([0x51, 0x4b, 0x41, 0x46]); // "QKAF"
export const ATOMIC_FILE_VERSION = 1;
export const ATOMIC_FILE_HEADER_BYTES = 16;
/** Payload limit: the length field is 32 bits, and these are meant to be small state files. */
export const ATOMIC_FILE_PAYLOAD_BYTES_MAX = 0xffff_ffff;

/** Frame a payload with the header (exported for tests and for callers that ship frames). */
export function frameFile(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('writeFileAtomic needs a Uint8Array payload');
  if (payload.length > ATOMIC_FILE_PAYLOAD_BYTES_MAX) {
    throw new InvalidArgumentError(`payload of ${payload.length} bytes exceeds ${ATOMIC_FILE_PAYLOAD_BYTES_MAX}`);
  }
  const out = new Uint8Array(ATOMIC_FILE_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  out.set(ATOMIC_FILE_MAGIC, 0);
  out[4] = ATOMIC_FILE_VERSION;
  view.setUint32(8, payload.length);
  out.set(payload, ATOMIC_FILE_HEADER_BYTES);
  view.setUint32(12, crc32(payload, crc32(out.subarray(0, 12))));
  return out;
}

/** Check a frame and return its payload; `path` only names the file in the error. */
export function unframeFile(bytes: Uint8Array, path = '<buffer>'): Uint8Array {
  if (bytes.length < ATOMIC_FILE_HEADER_BYTES) {
    throw new CorruptFileError(path, `${bytes.length} bytes is shorter than the ${ATOMIC_FILE_HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < ATOMIC_FILE_MAGIC.length; i++) {
    if (bytes[i] !== ATOMIC_FILE_MAGIC[i]) throw new CorruptFileError(path, 'bad magic (not a quorumkit atomic file)');
  }
  if (bytes[4] !== ATOMIC_FILE_VERSION) throw new CorruptFileError(path, `unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8);
  if (length !== bytes.length - ATOMIC_FILE_HEADER_BYTES) {
    throw new CorruptFileError(path, `header says ${length} payload bytes, file has ${bytes.length - ATOMIC_FILE_HEADER_BYTES}`);
  }
  const payload = bytes.subarray(ATOMIC_FILE_HEADER_BYTES);
  const expected = view.getUint32(12);
  const actual = crc32(payload, crc32(bytes.subarray(0, 12)));
  if (expected !== actual) {
    throw new CorruptFileError(path, `CRC32 mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)})`);
  }
  return payload;
}

/** The temp file writeFileAtomic uses for `path` (same directory, so rename is atomic). */
export function atomicTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.qk-tmp`);
}

// Writers to one path inside this process are serialized, so they can share one temp name
// (a crash leaves at most one stale temp per file, overwritten by the next write).
const inFlight = new Map<string, Promise<void>>();

/**
 * Durably replace `path` with the framed `bytes`: write a temp file in the same directory,
 * fsync it, rename it over `path`, fsync the directory. After it resolves the new content
 * survives a crash; if it crashes midway, readers see the old content or the new, never a mix.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const framed = frameFile(bytes);
  const key = resolve(path);
  const previous = inFlight.get(key) ?? Promise.resolve();
  const mine = previous.then(() => replaceFileDurably(key, [framed]));
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  inFlight.set(key, settled);
  try {
    await mine;
  } finally {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  }
}

/**
 * Replaces `path` durably with the concatenation of `parts`: write a temp file part by part,
 * fsync it, rename it over `path`, fsync the directory. A failure leaves the old file and no
 * temp file. The parts are written as given (no frame): callers that want the checked frame
 * use writeFileAtomic, or write the frame header as their first part.
 */
export async function replaceFileDurably(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const temp = atomicTempPath(path);
  try {
    const fh = await open(temp, 'w', 0o644);
    try {
      for (const part of parts) {
        let off = 0;
        while (off < part.length) off += (await fh.write(part, off, part.length - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(dirname(path));
}

/**
 * writeFileAtomic for small files on a path where the caller must not go on before the new
 * content is durable (e.g. a sequence-number reservation). Blocks the event loop for the
 * fsyncs; do not mix with writeFileAtomic on the same path.
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array): void {
  const framed = frameFile(bytes);
  const temp = atomicTempPath(path);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      let off = 0;
      while (off < framed.length) off += writeSync(fd, framed, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  const dir = openSync(dirname(resolve(path)), 'r');
  try {
    fsyncSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    closeSync(dir);
  }
}

/** fsync a directory so a rename or create inside it is durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some platforms/filesystems refuse fsync on a directory; the rename itself is done.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Read a file written by writeFileAtomic. Resolves undefined when the file does not exist;
 * throws CorruptFileError when it exists but fails the frame checks.
 */
export async function readFileChecked(path: string): Promise<Uint8Array | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Copy out so the caller owns a plain Uint8Array, not a view into Node's read buffer.
  return unframeFile(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), path).slice();
}
