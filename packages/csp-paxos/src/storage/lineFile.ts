// Reading the line logs (instance, values, acceptor): a chunked reader (a log of any size,
// never one string), and the rewrite that truncates a log to the lines worth keeping
// (logWriter.replaceFileDurably; then every writer reopens the new file).
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { replaceFileDurably } from './logWriter.js';

const READ_CHUNK_BYTES = 1 << 20;

/**
 * Calls `fn` with the bytes of every whole line of `fd` (without its newline; valid only during
 * the call), in order, reading `chunkBytes` at a time, never the whole file at once. `fn`
 * returns false to stop. A torn last line is not passed on. The one chunked line reader of the
 * three logs (instance, values, acceptor).
 */
export function forEachLineBytes(fd: number, fn: (line: Buffer) => boolean | void, chunkBytes = READ_CHUNK_BYTES): void {
  const buf = Buffer.allocUnsafe(chunkBytes);
  let carry: Buffer = Buffer.alloc(0);
  let filePos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, chunkBytes, filePos);
    if (n <= 0) return;
    filePos += n;
    const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, pos);
      if (nl < 0) break;
      if (fn(data.subarray(pos, nl)) === false) return;
      pos = nl + 1;
    }
    // Copy: `buf` is reused by the next read.
    carry = Buffer.from(data.subarray(pos));
  }
}

/**
 * Calls `fn` with every whole line of `path` (without its newline), in order. Returns the byte
 * length of the whole lines (a torn last line is not passed on).
 */
export function forEachLine(path: string, fn: (line: string) => void, fd?: number): number {
  const own = fd === undefined;
  const f = fd ?? openSync(path, 'r');
  let wholeBytes = 0;
  try {
    forEachLineBytes(f, (line) => {
      fn(line.toString('utf8'));
      wholeBytes += line.length + 1;
    });
  } finally {
    if (own) closeSync(f);
  }
  return wholeBytes;
}

/** Reads the whole lines of `path` and cuts a torn last line off (new lines start fresh). */
export function forEachLineCutTorn(path: string, fn: (line: string) => void): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r+');
  try {
    const whole = forEachLine(path, fn, fd);
    if (fstatSync(fd).size > whole) ftruncateSync(fd, whole);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` by the lines `keep` accepts, durably (a crash leaves either the old file or
 * the new one). Returns the lines kept.
 */
export function rewriteLines(path: string, keep: (line: string) => boolean): number {
  if (!existsSync(path)) return 0;
  return replaceFileDurably(path, (put) => {
    let kept = 0;
    forEachLine(path, (line) => {
      if (!keep(line)) return;
      kept++;
      put(`${line}\n`);
    });
    return kept;
  });
}
