// Byte writer and checked reader for the binary encodings (records, ops, snapshots).

export class CodecError extends Error {
  readonly code = 'ECODEC';
}

export class Writer {
  buf: Buffer;
  len = 0;
  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.len);
    this.len += 8;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.len);
    this.len += 8;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  latin1(s: string): void {
    this.varint(s.length);
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }
  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }
  private need(n: number): void {
    if (this.pos + n > this.end) throw new CodecError('truncated record');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new CodecError('bad varint');
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.varint();
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  latin1(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** Moves past n bytes (checked). */
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
}

export function wVV(w: Writer, vv: Map<number, bigint>): void {
  w.varint(vv.size);
  for (const [n, u] of vv) {
    w.varint(n);
    w.u64(u);
  }
}

export function rVV(r: Reader): Map<number, bigint> {
  const vv = new Map<number, bigint>();
  for (let i = r.varint(); i > 0; i--) vv.set(r.varint(), r.u64());
  return vv;
}
