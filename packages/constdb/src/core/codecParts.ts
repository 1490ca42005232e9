// Encodings of the list and sorted-set parts of a record (see codec.ts for the rest).
import { CodecError, type Writer, type Reader, wVV, rVV } from './bytes.js';
import { type LElem, type ListPart, encodeId, listSize, forEachElem } from './list.js';
import { type ZElem, type ZsetPart, zScore } from './zset.js';
import type { Elem } from './setElem.js';

// list: count, per element: f64 pi, pf, u64 u, node, u8 flags (1 value, 2 removed, 4 born), [value], u64 vu, vn, [u64 ru, rn]
export function wList(w: Writer, p: ListPart): void {
  w.varint(listSize(p));
  forEachElem(p, (e) => {
    w.f64(e.pi);
    w.latin1(e.pf);
    w.u64(e.u);
    w.varint(e.n);
    w.u8((e.v !== undefined ? 1 : 0) | (e.ru !== undefined ? 2 : 0) | (e.born ? 4 : 0));
    if (e.v !== undefined) w.bytes(e.v);
    w.u64(e.vu);
    w.varint(e.vn);
    if (e.ru !== undefined) {
      w.u64(e.ru);
      w.varint(e.rn!);
    }
  });
}

export function rList(r: Reader): ListPart {
  const m = new Map<string, LElem>();
  for (let i = r.varint(); i > 0; i--) {
    const pi = r.f64();
    if (!Number.isSafeInteger(pi)) throw new CodecError('bad list position');
    const pf = r.latin1();
    const u = r.u64();
    const n = r.varint();
    const f = r.u8();
    if (f > 7) throw new CodecError('bad list element flags');
    const v = f & 1 ? r.bytes() : undefined;
    const e: LElem = { id: encodeId(u, n), pi, pf, u, n, vu: r.u64(), vn: r.varint() };
    if (v !== undefined) e.v = v;
    if (f & 4) e.born = true;
    if (f & 2) {
      e.ru = r.u64();
      e.rn = r.varint();
    }
    m.set(e.id, e);
  }
  return { m };
}

/** A member's adds as a version vector (a compact add as the one-entry Map it stands for). */
export function wElemAdds(w: Writer, e: Elem): void {
  if (e.add) wVV(w, e.add);
  else if (e.au !== undefined) {
    w.varint(1);
    w.varint(e.an!);
    w.u64(e.au);
  } else w.varint(0);
}

// zset: count, per member: name, add VV, u8 flags (1 rm, 2 base, 4 incs), [rm VV], [u64 u, node, f64 s], [count, per node: node, u64 bu, bn, u64 u, f64 t]
export function wZset(w: Writer, p: ZsetPart): void {
  w.varint(p.m.size);
  for (const e of p.m.values()) {
    w.latin1(e.k);
    wElemAdds(w, e);
    w.u8((e.rm ? 1 : 0) | (e.b ? 2 : 0) | (e.inc ? 4 : 0));
    if (e.rm) wVV(w, e.rm);
    if (e.b) {
      w.u64(e.b.u);
      w.varint(e.b.n);
      w.f64(e.b.s);
    }
    if (e.inc) {
      w.varint(e.inc.size);
      for (const [n, i] of e.inc) {
        w.varint(n);
        w.u64(i.bu);
        w.varint(i.bn);
        w.u64(i.u);
        w.f64(i.t);
      }
    }
  }
}

export function rZset(r: Reader): ZsetPart {
  const m = new Map<string, ZElem>();
  for (let i = r.varint(); i > 0; i--) {
    const k = r.latin1();
    const e: ZElem = { k, add: rVV(r), sc: 0 };
    const f = r.u8();
    if (f > 7) throw new CodecError('bad zset member flags');
    if (f & 1) e.rm = rVV(r);
    if (f & 2) e.b = { u: r.u64(), n: r.varint(), s: r.f64() };
    if (f & 4) {
      e.inc = new Map();
      for (let j = r.varint(); j > 0; j--) e.inc.set(r.varint(), { bu: r.u64(), bn: r.varint(), u: r.u64(), t: r.f64() });
    }
    e.sc = zScore(e);
    m.set(k, e);
  }
  return { m };
}
