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
const EMPTY = Buffer.alloc(0);
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
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** bytes needed in buf (from pos) before parsing is worth retrying */
  private need = 0;
  /** waiting for a line end: retry only when a read brings an LF (or the line exceeds waitLimit) */
  private waitLF = false;
  private waitLimit = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /**
   * the multibulk command being read: arguments parsed so far are kept, never re-parsed.
   * Plain fields, not a frame object: that was one more allocation per pipelined command.
   */
  private frameArgs: Buffer[] | undefined;
  private frameI = 0;
  private frameBytes = 0;

  constructor(private readonly limits: RespLimits = defaultRespLimits) {}

  /** Bytes received but not yet handed out as a complete command. */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.pendingBytes + (this.frameArgs ? this.frameBytes : 0);
  }

  /**
   * Feeds one read; calls onCommand for every complete command (empty inline lines are
   * skipped like Redis does). Throws RespProtocolError on malformed input. Work is linear
   * in the input: a read that cannot complete what is awaited (a line end, the rest of a
   * bulk) is only queued, and the queue is joined once when it can.
   */
  feed(chunk: Buffer, onCommand: (args: Buffer[]) => void): void {
    if (this.pos < this.buf.length || this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      const have = this.buf.length - this.pos + this.pendingBytes;
      if (this.waitLF) {
        if (chunk.indexOf(LF) < 0 && have <= this.waitLimit) return;
      } else if (have < this.need) return;
      const parts = [this.buf.subarray(this.pos), ...this.pending];
      this.buf = Buffer.concat(parts, have);
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      this.buf = chunk;
    }
    this.pos = 0;
    this.need = 0;
    this.waitLF = false;
    for (;;) {
      if (this.frameArgs) {
        const args = this.continueFrame();
        if (args === undefined) return;
        this.frameArgs = undefined;
        if (args.length > 0) onCommand(args);
        continue;
      }
      if (this.pos >= this.buf.length) {
        this.buf = EMPTY;
        this.pos = 0;
        return;
      }
      if (this.buf[this.pos] === 42) {
        if (!this.parseMultibulkHeader()) return;
        continue;
      }
      const args = this.parseInline();
      if (args === undefined) return;
      if (args.length > 0) onCommand(args);
    }
  }

  /** Incomplete: keep bytes from `from`, retry when a line end arrives. */
  private waitLine(from: number, limit: number): undefined {
    this.pos = from;
    this.waitLF = true;
    this.waitLimit = limit;
    return undefined;
  }

  /** Incomplete: keep bytes from `from`, retry when `n` bytes from there are here. */
  private waitBytes(from: number, n: number): undefined {
    this.pos = from;
    this.need = n;
    return undefined;
  }

  private parseInline(): Buffer[] | undefined {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > this.limits.inlineBytesMax) throw new RespProtocolError('too big inline request');
      return this.waitLine(this.pos, this.limits.inlineBytesMax);
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const args = splitInline(buf, this.pos, end);
    this.pos = nl + 1;
    return args;
  }

  /** `*<count>\r\n`: starts a frame; false when the line is not complete yet. */
  private parseMultibulkHeader(): boolean {
    const buf = this.buf;
    const start = this.pos;
    const cr = buf.indexOf(CR, start + 1);
    if (cr < 0 || cr + 1 >= buf.length) {
      if (buf.length - start > this.limits.inlineBytesMax) throw new RespProtocolError('too big mbulk count string');
      this.waitLine(start, this.limits.inlineBytesMax);
      return false;
    }
    if (buf[cr + 1] !== LF) throw new RespProtocolError('invalid multibulk length');
    const count = parseLen(buf, start + 1, cr);
    if (Number.isNaN(count) || count > this.limits.multibulkArgsMax) throw new RespProtocolError('invalid multibulk length');
    this.pos = cr + 2;
    this.frameArgs = count > 0 ? new Array<Buffer>(count) : [];
    this.frameI = 0;
    this.frameBytes = 0;
    return true;
  }

  /** Parses further arguments of the current frame; the args when it is complete. */
  private continueFrame(): Buffer[] | undefined {
    const args = this.frameArgs!;
    const buf = this.buf;
    let p = this.pos;
    while (this.frameI < args.length) {
      if (p >= buf.length) return this.waitLine(p, 32);
      if (buf[p] !== 36) {
        throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[p]!)}'`);
      }
      const cr = findCR(buf, p + 1);
      if (cr < 0 || cr + 1 >= buf.length) {
        if (buf.length - p > 32) throw new RespProtocolError('invalid bulk length');
        return this.waitLine(p, 32);
      }
      if (buf[cr + 1] !== LF) throw new RespProtocolError('invalid bulk length');
      const len = parseLen(buf, p + 1, cr);
      if (Number.isNaN(len) || len < 0 || len > this.limits.bulkBytesMax) throw new RespProtocolError('invalid bulk length');
      const dataStart = cr + 2;
      const dataEnd = dataStart + len;
      if (dataEnd + 2 > buf.length) return this.waitBytes(p, dataEnd + 2 - p);
      if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) throw new RespProtocolError('invalid bulk format');
      args[this.frameI++] = buf.subarray(dataStart, dataEnd);
      this.frameBytes += dataEnd + 2 - p;
      p = dataEnd + 2;
    }
    this.pos = p;
    return args;
  }
}

/**
 * The next CR at or after `from`, or -1. A plain loop: the length lines it scans are a few
 * bytes long, and Buffer.indexOf costs a call into C++ per bulk argument.
 */
function findCR(buf: Buffer, from: number): number {
  const end = Math.min(buf.length, from + 24);
  for (let i = from; i < end; i++) if (buf[i] === CR) return i;
  // a longer line (malformed, or zero-padded): the same answer as before, from indexOf
  return end < buf.length ? buf.indexOf(CR, end) : -1;
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
