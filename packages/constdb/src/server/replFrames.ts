// Peer-link framing and the replication backlog.
// Frame: u8 type | u32 payload length | payload. One TCP connection per direction: the
// dialer streams its own ops (and snapshots, pings, forgets); the acceptor answers acks.

export const F = {
  OP: 1, // op bytes (u64 seq | key | delta)
  SNAP_BEGIN: 2, // u64 seq covered, u64 clock
  SNAP_CHUNK: 3, // (key, record)*
  SNAP_END: 4,
  PING: 5, // u64 own seq | peers | forgotten
  FORGET: 6, // varint node id
  ACK: 7, // u64 applied seq of the dialer | applied-uuid vector | peers
  SNAP_DONE: 8, // (acceptor -> dialer) the full sync received on this stream is durable here
  OP_MORE: 9, // an op of a unit (EXEC) that more ops follow; the unit ends with an OP
  DIGEST: 10, // (dialer -> acceptor) anti-entropy: u32 round | the dialer's bucket digests
  REPAIR: 11, // (acceptor -> dialer) u32 round | u8 last | varint differing buckets | (key, record)*
  PUBLISH: 12, // (dialer -> acceptor) channel | message: delivered to the acceptor's subscribers, not stored
  KEEPALIVE: 13, // (dialer -> acceptor) empty: the link is busy (a full sync being prepared), not silent
} as const;

export const FRAME_BYTES_MAX = 256 * 1024 * 1024;

export function frame(type: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(5 + payload.length);
  b[0] = type;
  b.writeUInt32LE(payload.length, 1);
  payload.copy(b, 5);
  return b;
}

export function frameHeader(type: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = type;
  b.writeUInt32LE(len, 1);
  return b;
}

export class FrameError extends Error {
  readonly code = 'EFRAME';
}

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer, onFrame: (type: number, payload: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let p = 0;
    while (this.buf.length - p >= 5) {
      const type = this.buf[p]!;
      const len = this.buf.readUInt32LE(p + 1);
      if (type < 1 || type > F.KEEPALIVE || len > FRAME_BYTES_MAX) throw new FrameError(`bad frame type ${type} length ${len}`);
      if (this.buf.length - p - 5 < len) break;
      onFrame(type, this.buf.subarray(p + 5, p + 5 + len));
      p += 5 + len;
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(p));
  }
}

/** Own ops (framed) by seq (consecutive), capped in bytes; the oldest fall off. */
export class Backlog {
  private ops: Buffer[] = [];
  private head = 0;
  /** seq of ops[head] */
  firstSeq = 1n;
  bytes = 0;

  constructor(public limitBytes: number) {}

  get size(): number {
    return this.ops.length - this.head;
  }

  /** Restarts empty, the next op being `nextSeq`. */
  reset(nextSeq: bigint): void {
    this.ops = [];
    this.head = 0;
    this.bytes = 0;
    this.firstSeq = nextSeq;
  }

  push(seq: bigint, op: Buffer): void {
    if (seq !== this.firstSeq + BigInt(this.size)) this.reset(seq);
    this.ops.push(op);
    this.bytes += op.length;
    while (this.bytes > this.limitBytes && this.size > 1) {
      this.bytes -= this.ops[this.head]!.length;
      this.ops[this.head] = undefined as unknown as Buffer;
      this.head++;
      this.firstSeq++;
    }
    if (this.head > 4096 && this.head * 2 > this.ops.length) {
      this.ops = this.ops.slice(this.head);
      this.head = 0;
    }
  }

  /** Ops from `from` to the newest, or undefined if `from` has fallen off. */
  from(from: bigint): Buffer[] | undefined {
    const last = this.firstSeq + BigInt(this.size) - 1n;
    if (from > last) return [];
    if (from < this.firstSeq) return undefined;
    const i = this.head + Number(from - this.firstSeq);
    return this.ops.slice(i);
  }
}
