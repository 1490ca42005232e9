// Binary encoding of key records and deltas (snapshot, AOF and replication all use it).
// Lengths and node ids are varints, uuids u64, counter nets i64, bytes length-prefixed.
import type { KeyRec, Elem, Expiry } from './keyrec.js';
import type { Scalar, Ctr, Ctrs, VV } from './scalar.js';
import { wList, rList, wZset, rZset, wElemAdds } from './codecParts.js';
import { forEachElem } from './list.js';

export { CodecError, Writer, Reader } from './bytes.js';
import { CodecError, Writer, Reader, wVV, rVV } from './bytes.js';

/** A node's cumulative net can pass int64 (its increments are bounded by the visible value, not the sum). */
function ctrsFitI64(m: Ctrs | undefined): boolean {
  if (m) for (const es of m.values()) for (const c of es.values()) if (c.net > I64_MAX || c.net < -I64_MAX - 1n) return false;
  return true;
}

const I64_MAX = (1n << 63n) - 1n;

// node count, then per node: id, epoch count, per epoch: u64 epoch, u64 u, net
function wCtrs(w: Writer, m: Ctrs, big: boolean): void {
  w.varint(m.size);
  for (const [n, es] of m) {
    w.varint(n);
    w.varint(es.size);
    for (const [e, c] of es) {
      w.u64(e);
      w.u64(c.u);
      if (big) w.latin1(c.net.toString());
      else w.i64(c.net);
    }
  }
}

function rCtrs(r: Reader, big: boolean): Ctrs {
  const m: Ctrs = new Map();
  for (let i = r.varint(); i > 0; i--) {
    const n = r.varint();
    const es = new Map<bigint, Ctr>();
    for (let j = r.varint(); j > 0; j--) {
      const e = r.u64();
      const u = r.u64();
      let net: bigint;
      if (big) {
        const t = r.latin1();
        if (!/^-?[0-9]{1,400}$/.test(t)) throw new CodecError('bad counter');
        net = BigInt(t);
      } else net = r.i64();
      es.set(e, { u, net });
    }
    if (es.size === 0) throw new CodecError('empty counter node');
    m.set(n, es);
  }
  return m;
}

function wScalar(w: Writer, s: Scalar): void {
  // flag 16: counter nets as decimal strings (only when one is outside int64)
  const big = !ctrsFitI64(s.cnt) || !ctrsFitI64(s.clrCnt) || (s.k !== undefined && (s.k.net > I64_MAX || s.k.net < -I64_MAX - 1n));
  // the compact form (scalar.ts) is written as the one-entry Map it stands for: the same bytes
  const hasClr = s.clr !== undefined || s.cu !== undefined;
  w.u8((s.regs || s.r ? 1 : 0) | (s.cnt || s.k ? 2 : 0) | (hasClr ? 4 : 0) | (s.clrCnt ? 8 : 0) | (big ? 16 : 0));
  if (s.regs) {
    w.varint(s.regs.size);
    for (const [n, reg] of s.regs) {
      w.varint(n);
      w.u64(reg.u);
      w.bytes(reg.v);
    }
  } else if (s.r) {
    w.varint(1);
    w.varint(s.rn!);
    w.u64(s.r.u);
    w.bytes(s.r.v);
  }
  if (s.cnt) wCtrs(w, s.cnt, big);
  else if (s.k) {
    // one node, one epoch, one entry: wCtrs's layout
    w.varint(1);
    w.varint(s.kn!);
    w.varint(1);
    w.u64(s.ke!);
    w.u64(s.k.u);
    if (big) w.latin1(s.k.net.toString());
    else w.i64(s.k.net);
  }
  if (s.clr) wVV(w, s.clr);
  else if (s.cu !== undefined) {
    w.varint(1);
    w.varint(s.cn!);
    w.u64(s.cu);
  }
  if (s.clrCnt) wCtrs(w, s.clrCnt, big);
}

function rScalar(r: Reader): Scalar {
  const f = r.u8();
  const s: Scalar = {};
  if (f & 1) {
    s.regs = new Map();
    for (let i = r.varint(); i > 0; i--) {
      const n = r.varint();
      const u = r.u64();
      s.regs.set(n, { u, v: r.bytes() });
    }
  }
  if (f > 31) throw new CodecError('bad scalar flags');
  const big = (f & 16) !== 0;
  if (f & 2) s.cnt = rCtrs(r, big);
  if (f & 4) s.clr = rVV(r);
  if (f & 8) s.clrCnt = rCtrs(r, big);
  return s;
}

export function writeKeyRec(w: Writer, rec: KeyRec): void {
  // flag 16: expiry times as exact int64 (older files hold them as doubles)
  w.u8((rec.str ? 1 : 0) | (rec.set ? 2 : 0) | (rec.hash ? 4 : 0) | (rec.exp ? 8 | 16 : 0) | (rec.list ? 32 : 0) | (rec.zset ? 64 : 0));
  if (rec.str) wScalar(w, rec.str);
  if (rec.set) {
    w.varint(rec.set.size);
    for (const [m, e] of rec.set) {
      w.latin1(m);
      wElemAdds(w, e);
      w.u8(e.rm ? 1 : 0);
      if (e.rm) wVV(w, e.rm);
    }
  }
  if (rec.hash) {
    w.varint(rec.hash.size);
    for (const [f, s] of rec.hash) {
      w.latin1(f);
      wScalar(w, s);
    }
  }
  if (rec.list) wList(w, rec.list);
  if (rec.zset) wZset(w, rec.zset);
  if (rec.exp) {
    w.varint(rec.exp.e.size);
    for (const [n, v] of rec.exp.e) {
      w.varint(n);
      w.u64(v.u);
      w.i64(v.at);
    }
    w.u8(rec.exp.clr ? 1 : 0);
    if (rec.exp.clr) wVV(w, rec.exp.clr);
  }
}

export function readKeyRec(r: Reader): KeyRec {
  const f = r.u8();
  if (f > 127) throw new CodecError('bad record flags');
  const rec: KeyRec = {};
  if (f & 1) rec.str = rScalar(r);
  if (f & 2) {
    rec.set = new Map();
    for (let i = r.varint(); i > 0; i--) {
      const m = r.latin1();
      const e: Elem = { add: rVV(r) };
      if (r.u8()) e.rm = rVV(r);
      rec.set.set(m, e);
    }
  }
  if (f & 4) {
    rec.hash = new Map();
    for (let i = r.varint(); i > 0; i--) {
      const k = r.latin1();
      rec.hash.set(k, rScalar(r));
    }
  }
  if (f & 32) rec.list = rList(r);
  if (f & 64) rec.zset = rZset(r);
  if (f & 8) {
    const x: Expiry = { e: new Map() };
    for (let i = r.varint(); i > 0; i--) {
      const n = r.varint();
      const u = r.u64();
      x.e.set(n, { u, at: f & 16 ? r.i64() : BigInt(Math.round(r.f64())) });
    }
    if (r.u8()) x.clr = rVV(r);
    rec.exp = x;
  }
  return rec;
}

/** Highest uuid mentioned in a delta (so the receiving clock moves past it). */
export function maxUuid(rec: KeyRec): bigint {
  let m = 0n;
  const vv = (v?: VV) => v?.forEach((u) => { if (u > m) m = u; });
  const sc = (s?: Scalar) => {
    if (!s) return;
    s.regs?.forEach((r) => { if (r.u > m) m = r.u; });
    if (s.r && s.r.u > m) m = s.r.u;
    if (s.cu !== undefined && s.cu > m) m = s.cu;
    s.cnt?.forEach((es) => es.forEach((c) => { if (c.u > m) m = c.u; }));
    if (s.k && s.k.u > m) m = s.k.u;
    vv(s.clr);
  };
  sc(rec.str);
  rec.set?.forEach((e) => { vv(e.add); vv(e.rm); if (e.au !== undefined && e.au > m) m = e.au; });
  rec.hash?.forEach(sc);
  rec.exp?.e.forEach((v) => { if (v.u > m) m = v.u; });
  if (rec.list) forEachElem(rec.list, (e) => {
    if (e.u > m) m = e.u;
    if (e.vu > m) m = e.vu;
    if (e.ru !== undefined && e.ru > m) m = e.ru;
  });
  rec.zset?.m.forEach((e) => {
    vv(e.add);
    vv(e.rm);
    if (e.au !== undefined && e.au > m) m = e.au;
    if (e.b && e.b.u > m) m = e.b.u;
    e.inc?.forEach((i) => { if (i.u > m) m = i.u; });
  });
  return m;
}

const opWriter = new Writer(64 * 1024);

/** One replicated op: u64 origin seq | key | delta. Returns a fresh buffer. */
export function encodeOp(seq: bigint, key: string, delta: KeyRec): Buffer {
  opWriter.len = 0;
  opWriter.u64(seq);
  opWriter.latin1(key);
  writeKeyRec(opWriter, delta);
  const out = Buffer.allocUnsafe(opWriter.len);
  opWriter.buf.copy(out, 0, 0, opWriter.len);
  if (opWriter.buf.length > 4 * 1024 * 1024) opWriter.buf = Buffer.allocUnsafe(64 * 1024);
  return out;
}

export function decodeOp(buf: Buffer, start = 0, end = buf.length): { seq: bigint; key: string; delta: KeyRec } {
  const r = new Reader(buf, start, end);
  const seq = r.u64();
  const key = r.latin1();
  const delta = readKeyRec(r);
  if (r.pos !== end) throw new CodecError('trailing bytes in op');
  return { seq, key, delta };
}

/**
 * The op already framed for the replication stream (u8 type | u32 length | op bytes), so
 * one buffer serves the backlog and every peer; `.subarray(5)` is the bare op for the AOF.
 */
export function encodeOpFrame(frameType: number, seq: bigint, key: string, delta: KeyRec): Buffer {
  opWriter.len = 5;
  opWriter.u64(seq);
  opWriter.latin1(key);
  writeKeyRec(opWriter, delta);
  const out = Buffer.allocUnsafe(opWriter.len);
  opWriter.buf.copy(out, 0, 0, opWriter.len);
  out[0] = frameType;
  out.writeUInt32LE(opWriter.len - 5, 1);
  if (opWriter.buf.length > 4 * 1024 * 1024) opWriter.buf = Buffer.allocUnsafe(64 * 1024);
  return out;
}
