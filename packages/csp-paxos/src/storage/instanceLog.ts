// instancelog<i>.log: the seed's "generate ..." and "commit ..." lines with integer ms
// timestamps. Each processor that writes lines opens its own O_APPEND descriptor and writes
// whole lines in one write(2), so lines from two processors never interleave, and a line is
// in the file (the page cache survives a killed process) before any message depending on it.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { COMMIT_RE } from '../core/check.js';
import type { Entry, LogLine } from '../core/types.js';

export function instanceLogPath(logDir: string, id: number): string {
  return join(logDir, `instancelog${id}.log`);
}

export function formatLine(l: LogLine, atMs: number): string {
  return `${l.kind} Instance[${l.key}] in seq ${l.slot} at ${atMs}\n`;
}

const READ_CHUNK_BYTES = 1 << 20;

/**
 * What this node committed before a restart: the contiguous commit prefix of its log, read in
 * chunks (a log of any size). A torn last line (killed mid-write) is cut off so new lines start
 * on a fresh line.
 */
export function recoverCommitted(path: string): Entry[] {
  if (!existsSync(path)) return [];
  const committed: Entry[] = [];
  const fd = openSync(path, 'r+');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let carry: Buffer = Buffer.alloc(0);
    let filePos = 0;
    let wholeBytes = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, READ_CHUNK_BYTES, filePos);
      if (n <= 0) break;
      filePos += n;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let pos = 0;
      for (;;) {
        const nl = data.indexOf(0x0a, pos);
        if (nl < 0) break;
        const m = COMMIT_RE.exec(data.toString('utf8', pos, nl));
        if (m && Number(m[2]) === committed.length) committed.push({ slot: committed.length, round: -1, key: m[1]! });
        wholeBytes += nl + 1 - pos;
        pos = nl + 1;
      }
      carry = Buffer.from(data.subarray(pos));
    }
    if (fstatSync(fd).size > wholeBytes) ftruncateSync(fd, wholeBytes);
  } finally {
    closeSync(fd);
  }
  return committed;
}

export class InstanceLogWriter {
  private readonly fd: number;
  linesWritten = 0;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  write(lines: LogLine[], atMs: number): void {
    if (lines.length === 0) return;
    let text = '';
    for (const l of lines) text += formatLine(l, atMs);
    writeSync(this.fd, text);
    this.linesWritten += lines.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}
