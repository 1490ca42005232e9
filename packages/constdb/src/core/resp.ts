// Incremental RESP request parser (multibulk and inline). Frames may be split anywhere
// across reads; many frames may arrive in one read (pipelining). Arguments are returned
// as views into the read buffer (no copy); callers copy only what they store.
// Pure: no node:* imports (Buffer is a global in Node and used as a byte view here).

export interface RespLimits {
  bulkBytesMax: number; // proto-max-bulk-len
  multibulkArgsMax: number;
  inlineBytesMax: number;
}

export const defaultRespLimits: RespLimits = {
  bulkBytesMax: 512 * 1024 * 1024,
  multibulkArgsMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
};

export class RespProtocolError extends Error {
  readonly code = 'EPROTOCOL';
  constructor(detail: string) {
    super(`Protocol error: ${detail}`);
    this.name = 'RespProtocolError';
  }
}

const CR = 13;
const LF = 10;

/** Parses a non-negative-or-minus-one decimal between [start, end); NaN if malformed. */
function parseLen(buf: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 12) return Number.NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return Number.NaN;
  }
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return Number.NaN;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** bytes needed in buf (from pos) before parsing is worth retrying */
  private need = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly limits: RespLimits = defaultRespLimits) {}

  /** Bytes received but not yet consumed by a complete frame. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.pendingBytes;
  }

  /**
   * Feeds one read; calls onCommand for every complete command (empty inline lines are
   * skipped like Redis does). Throws RespProtocolError on malformed input.
   */
  feed(chunk: Buffer, onCommand: (args: Buffer[]) => void): void {
    if (this.pos < this.buf.length || this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.buf.length - this.pos + this.pendingBytes < this.need) return;
      const parts = [this.buf.subarray(this.pos), ...this.pending];
      this.buf = Buffer.concat(parts);
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    this.need = 0;
    for (;;) {
      if (this.pos >= this.buf.length) {
        this.buf = Buffer.alloc(0);
        this.pos = 0;
        return;
      }
      const args = this.buf[this.pos] === 42 ? this.parseMultibulk() : this.parseInline();
      if (args === undefined) return; // incomplete: need set
      if (args.length > 0) onCommand(args);
    }
  }

  private parseInline(): Buffer[] | undefined {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > this.limits.inlineBytesMax) throw new RespProtocolError('too big inline request');
      this.need = buf.length - this.pos + 1;
      return undefined;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const args = splitInline(buf, this.pos, end);
    this.pos = nl + 1;
    return args;
  }

  private parseMultibulk(): Buffer[] | undefined {
    const buf = this.buf;
    const start = this.pos;
    let p = start + 1;
    const nl = buf.indexOf(CR, p);
    if (nl < 0 || nl + 1 >= buf.length) {
      if (buf.length - start > this.limits.inlineBytesMax) throw new RespProtocolError('too big mbulk count string');
      this.need = buf.length - start + 1;
      return undefined;
    }
    if (buf[nl + 1] !== LF) throw new RespProtocolError('invalid multibulk length');
    const count = parseLen(buf, p, nl);
    if (Number.isNaN(count) || count > this.limits.multibulkArgsMax) throw new RespProtocolError('invalid multibulk length');
    p = nl + 2;
    if (count <= 0) {
      this.pos = p;
      return [];
    }
    const args: Buffer[] = new Array(count);
    for (let i = 0; i < count; i++) {
      if (p >= buf.length) return this.incomplete(start, p + 1);
      if (buf[p] !== 36) {
        throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[p]!)}'`);
      }
      const cr = buf.indexOf(CR, p + 1);
      if (cr < 0 || cr + 1 >= buf.length) {
        if (buf.length - p > 32) throw new RespProtocolError('invalid bulk length');
        return this.incomplete(start, buf.length + 1);
      }
      if (buf[cr + 1] !== LF) throw new RespProtocolError('invalid bulk length');
      const len = parseLen(buf, p + 1, cr);
      if (Number.isNaN(len) || len < 0 || len > this.limits.bulkBytesMax) throw new RespProtocolError('invalid bulk length');
      const dataStart = cr + 2;
      const dataEnd = dataStart + len;
      if (dataEnd + 2 > buf.length) return this.incomplete(start, dataEnd + 2);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) throw new RespProtocolError('invalid bulk format');
      args[i] = buf.subarray(dataStart, dataEnd);
      p = dataEnd + 2;
    }
    this.pos = p;
    return args;
  }

  private incomplete(frameStart: number, needAbs: number): undefined {
    this.pos = frameStart;
    this.need = needAbs - frameStart;
    return undefined;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === CR;
}

/** Splits an inline command like Redis's sdssplitargs: spaces, "double" and 'single' quotes. */
export function splitInline(buf: Buffer, start: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  let i = start;
  while (i < end) {
    while (i < end && isSpace(buf[i]!)) i++;
    if (i >= end) break;
    const q = buf[i];
    if (q === 34 || q === 39) {
      const bytes: number[] = [];
      i++;
      let closed = false;
      while (i < end) {
        const c = buf[i]!;
        if (q === 34 && c === 92 && i + 1 < end) {
          const n = buf[i + 1]!;
          if (n === 120 && i + 3 < end && isHex(buf[i + 2]!) && isHex(buf[i + 3]!)) {
            bytes.push(parseInt(String.fromCharCode(buf[i + 2]!, buf[i + 3]!), 16));
            i += 4;
            continue;
          }
          const map: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 };
          bytes.push(map[n] ?? n);
          i += 2;
          continue;
        }
        if (q === 39 && c === 92 && i + 1 < end && buf[i + 1] === 39) {
          bytes.push(39);
          i += 2;
          continue;
        }
        if (c === q) {
          closed = true;
          i++;
          break;
        }
        bytes.push(c);
        i++;
      }
      if (!closed || (i < end && !isSpace(buf[i]!))) throw new RespProtocolError('unbalanced quotes in request');
      out.push(Buffer.from(bytes));
    } else {
      const s = i;
      while (i < end && !isSpace(buf[i]!)) i++;
      out.push(buf.subarray(s, i));
    }
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
