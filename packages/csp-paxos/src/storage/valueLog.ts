// values<i>.log beside the instance log: the payload of every committed client value, one JSON
// line `{"s":slot,"d":data}` each, written in the same dispatch as its commit line (the seed's
// instance-log lines carry only the key, and their format is fixed). On start the payloads are
// put back on the committed entries, so every replica keeps the data, not only the keys.
import { closeSync, existsSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Entry, LogLine } from '../core/types.js';

export function valueLogPath(logDir: string, id: number): string {
  return join(logDir, `values${id}.log`);
}

const CHUNK = 1 << 20;

/** Puts the payloads recorded in `path` back on `committed` (a torn last line is ignored). */
export function recoverValues(path: string, committed: Entry[]): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r');
  let restored = 0;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    let filePos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, filePos);
      if (n <= 0) break;
      filePos += n;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let pos = 0;
      for (;;) {
        const nl = data.indexOf(0x0a, pos);
        if (nl < 0) break;
        try {
          const v = JSON.parse(data.toString('utf8', pos, nl)) as { s?: unknown; d?: unknown };
          const e = typeof v.s === 'number' ? committed[v.s] : undefined;
          if (e && typeof v.d === 'string') {
            e.data = v.d;
            restored++;
          }
        } catch (_e) {
          // A line cut by a kill: its slot keeps only its key.
        }
        pos = nl + 1;
      }
      carry = Buffer.from(data.subarray(pos));
    }
  } finally {
    closeSync(fd);
  }
  return restored;
}

export class ValueLogWriter {
  private readonly fd: number;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /** Writes the payloads of the commit lines that carry one (one write(2)). */
  write(lines: LogLine[]): void {
    let text = '';
    for (const l of lines) if (l.kind === 'commit' && l.data !== undefined) text += `${JSON.stringify({ s: l.slot, d: l.data })}\n`;
    if (text.length > 0) writeSync(this.fd, text);
  }

  close(): void {
    closeSync(this.fd);
  }
}
