// Lists as a sequence CRDT with dense, unique position ids (no references to neighbours, so
// an element's place never depends on which other elements a replica has seen).
//
// Every element carries a position (pi, pf): an integer part and a fraction string, plus its
// id (the dot u@n of the write that created it). Elements are ordered by (pi, pf, u, n).
//   LPUSH takes pi = first.pi - 1, RPUSH pi = last.pi + 1, LINSERT a fraction strictly between
//   its neighbours'. The fraction always ends with the encoded id, so two elements made on
//   different nodes never share a position and a later LINSERT between them always fits.
// The value of an element is an LWW register (dot vu@vn: LSET writes a newer one); removing an
// element (LPOP, LREM, LTRIM, LSET's target gone, DEL) records the removing dot, and a removed
// element stays removed (ids are never reused), so removal wins over a concurrent LSET.
// Concurrent rules that follow: two nodes pushing at the same end both keep their elements,
// ordered by (pi, id); two nodes popping the same head both return it and it is removed
// once (like SPOP across nodes: the reply is what that node saw, see README); a DEL removes
// the elements it observed, a concurrent push survives.
import { SortedSeq } from './sortedSeq.js';
import { dotGreater } from './uuid.js';

export interface LElem {
  /** the id: encode(u, n), also the tail of pf */
  id: string;
  pi: number;
  pf: string;
  u: bigint;
  n: number;
  /** value and its register dot; dropped once removed */
  v?: Buffer;
  vu: bigint;
  vn: number;
  /** the removing dot */
  ru?: bigint;
  rn?: number;
  /**
   * the creation (push/insert) has been seen. LSET and removal deltas carry the element's
   * position but not its creation, so one arriving after the element's tombstone was
   * collected leaves an invisible entry instead of bringing the element back.
   */
  born?: boolean;
}

/**
 * Without `seq` (deltas, decoded and cloned-for-encoding parts) `m` holds every element. With
 * `seq` (records in the keyspace) the live elements are in `seq` only and `m` holds only the
 * removed or not-yet-born ones: a list of 400k elements in a Map keyed by id cost ~1 us per
 * LPUSH in Map.set (a huge hash table) and its GC marking, and the position every delta
 * element carries finds a live one in `seq` by binary search instead. Read a part's elements
 * with listSize / forEachElem, never `m` alone.
 */
export interface ListPart {
  m: Map<string, LElem>;
  /** the live elements in order (records in the keyspace only, never in deltas) */
  seq?: SortedSeq<LElem>;
}

/** Number of elements held (live and removed). */
export function listSize(p: ListPart): number {
  return p.m.size + (p.seq?.length ?? 0);
}

/** Every element held: those of `m`, then the live ones of `seq` in list order. */
export function forEachElem(p: ListPart, f: (e: LElem) => void): void {
  for (const e of p.m.values()) f(e);
  const seq = p.seq;
  if (seq) for (let i = 0; i < seq.length; i++) f(seq.at(i));
}

/** The live element of seq at x's position (same id), if any. */
function findLive(seq: SortedSeq<LElem>, x: LElem): LElem | undefined {
  const n = seq.length;
  // a push beyond either end (LPUSH/RPUSH) is answered without a search
  if (n === 0 || lcmp(x, seq.first()!) < 0 || lcmp(x, seq.last()!) > 0) return undefined;
  const i = seq.lowerBound(x);
  if (i >= n) return undefined;
  const e = seq.at(i);
  return e.id === x.id ? e : undefined;
}

export function lcmp(a: LElem, b: LElem): number {
  if (a.pi !== b.pi) return a.pi < b.pi ? -1 : 1;
  if (a.pf !== b.pf) return a.pf < b.pf ? -1 : 1;
  if (a.u !== b.u) return a.u < b.u ? -1 : 1;
  return a.n - b.n;
}

export const lElemLive = (e: LElem): boolean => e.born === true && e.ru === undefined;

// fraction digits are chars 34..126 ('"'..'~', digit values 1..93); no zero digit is ever
// written, so a fraction never ends in a zero and string order is numeric order
const BASE = 93;
const D0 = 33;

/** The id as fraction digits: u in 10 fixed digits, then n (variable), all nonzero. */
export function encodeId(u: bigint, n: number): string {
  let hi = Number(u >> 32n);
  let lo = Number(u & 0xffffffffn);
  const out: number[] = new Array<number>(10);
  for (let i = 9; i >= 0; i--) {
    // (hi * 2^32 + lo) divmod BASE without bigint
    const rh = hi % BASE;
    hi = Math.floor(hi / BASE);
    const x = rh * 4294967296 + lo;
    out[i] = D0 + 1 + (x % BASE);
    lo = Math.floor(x / BASE);
  }
  do {
    out.push(D0 + 1 + (n % BASE));
    n = Math.floor(n / BASE);
  } while (n > 0);
  // one flat string: appending the node digits made a cons string (three heap objects kept
  // by every list element, its id and fraction)
  return String.fromCharCode.apply(null, out);
}

const digit = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) - D0 : 0);

/** A fraction strictly between a and b (b undefined = 1), a < b; it ends in a nonzero digit. */
export function fracBetween(a: string, b: string | undefined): string {
  let out = '';
  for (let i = 0; ; i++) {
    const da = digit(a, i);
    const db = b === undefined ? BASE + 1 : digit(b, i);
    if (db - da > 1) return out + String.fromCharCode(D0 + ((da + db) >>> 1));
    out += String.fromCharCode(D0 + da);
    if (db !== da) b = undefined; // db = da + 1: any continuation of a's digits stays below b
  }
}

/** Position of a new element with dot u@n between prev and next (either may be absent). */
export function newElem(prev: LElem | undefined, next: LElem | undefined, u: bigint, n: number, v: Buffer): LElem {
  const id = encodeId(u, n);
  let pi: number;
  let pf: string;
  if (!prev && !next) {
    pi = 0;
    pf = id;
  } else if (!next) {
    pi = prev!.pi + 1;
    pf = id;
  } else if (!prev) {
    pi = next.pi - 1;
    pf = id;
  } else if (prev.pi < next.pi) {
    pi = prev.pi;
    pf = fracBetween(prev.pf, undefined) + id;
  } else {
    pi = prev.pi;
    // equal fractions only if two ids collide as strings: then it goes right after prev's group
    pf = fracBetween(prev.pf, prev.pf < next.pf ? next.pf : undefined) + id;
  }
  return { id, pi, pf, u, n, v, vu: u, vn: n, born: true };
}

/**
 * The elements of one LPUSH/RPUSH of vals (dots us[i]@n): one integer position beyond the
 * edge for the whole batch, fractions = the op's first id + the index, so a batch stays
 * contiguous next to a concurrent push of another node (whose fractions start with its id).
 */
export function pushElems(edge: LElem | undefined, left: boolean, us: bigint[], n: number, vals: Buffer[]): LElem[] {
  const pi = edge ? edge.pi + (left ? -1 : 1) : 0;
  const prefix = encodeId(us[0]!, n);
  const k = vals.length;
  const out: LElem[] = [];
  for (let i = 0; i < k; i++) {
    // list order: RPUSH keeps argument order, LPUSH reverses it
    const at = left ? k - 1 - i : i;
    const pf = k === 1 ? prefix : prefix + idxDigits(at);
    out.push({ id: k === 1 ? prefix : encodeId(us[i]!, n), pi, pf, u: us[i]!, n, v: vals[i]!, vu: us[i]!, vn: n, born: true });
  }
  return out;
}

/** A batch index as 5 fixed nonzero digits (93^5 > 6.9e9: more arguments than the query buffer limit lets in). */
function idxDigits(i: number): string {
  let s = '';
  for (let j = 0; j < 5; j++) {
    s = String.fromCharCode(D0 + 1 + (i % BASE)) + s;
    i = Math.floor(i / BASE);
  }
  return s;
}

function elemClone(e: LElem): LElem {
  // an explicit literal, not a spread: every element then shares one hidden class, and the
  // spread's generic copy was the largest self cost of LPUSH
  const c: LElem = { id: e.id, pi: e.pi, pf: e.pf, u: e.u, n: e.n, vu: e.vu, vn: e.vn };
  if (e.v !== undefined) c.v = e.v;
  if (e.ru !== undefined) {
    c.ru = e.ru;
    c.rn = e.rn;
  }
  if (e.born !== undefined) c.born = e.born;
  return c;
}

/** The removal delta of an element (position kept so it applies before its add too). */
export function lRemoveDelta(e: LElem, node: number, u: bigint): LElem {
  return { id: e.id, pi: e.pi, pf: e.pf, u: e.u, n: e.n, vu: e.vu, vn: e.vn, ru: u, rn: node };
}

/** The LSET delta of an element. */
export function lSetDelta(e: LElem, node: number, u: bigint, v: Buffer): LElem {
  return { id: e.id, pi: e.pi, pf: e.pf, u: e.u, n: e.n, v, vu: u, vn: node };
}

export function newListPart(): ListPart {
  return { m: new Map(), seq: new SortedSeq(lcmp) };
}

/** Joins delta d into the list part p (keeping p.seq when present: live in seq, the rest in m). */
export function listJoinInto(p: ListPart, d: ListPart): void {
  const seq = p.seq;
  for (const [id, x] of d.m) {
    const cur = (seq ? findLive(seq, x) : undefined) ?? p.m.get(id);
    if (!cur) {
      const c = elemClone(x);
      if (c.ru !== undefined) delete c.v;
      if (seq && lElemLive(c)) seq.insert(c);
      else p.m.set(id, c);
      continue;
    }
    const was = lElemLive(cur);
    // the register's dot joins even on a removed element (so the state is order-free)
    if (dotGreater(x.vu, x.vn, cur.vu, cur.vn)) {
      if (cur.ru === undefined && x.v !== undefined) cur.v = x.v;
      cur.vu = x.vu;
      cur.vn = x.vn;
    }
    if (x.born && !cur.born) {
      cur.born = true;
      // a creation arriving after an LSET keeps the newer register it already holds
      if (cur.v === undefined && cur.ru === undefined && x.v !== undefined && cur.vu === x.vu && cur.vn === x.vn) cur.v = x.v;
    }
    if (x.ru !== undefined && (cur.ru === undefined || dotGreater(x.ru, x.rn!, cur.ru, cur.rn!))) {
      cur.ru = x.ru;
      cur.rn = x.rn;
      delete cur.v;
    }
    const now = lElemLive(cur);
    if (seq && was && !now) {
      seq.remove(cur);
      p.m.set(id, cur);
    } else if (seq && !was && now) {
      p.m.delete(id);
      seq.insert(cur);
    }
  }
}

export function listClone(p: ListPart, withSeq: boolean): ListPart {
  const c: ListPart = { m: new Map() };
  const seq = withSeq ? new SortedSeq(lcmp) : undefined;
  if (seq) c.seq = seq;
  forEachElem(p, (e) => {
    const x = elemClone(e);
    if (seq && lElemLive(x)) seq.insert(x);
    else c.m.set(x.id, x);
  });
  return c;
}

export function listLength(p: ListPart | undefined): number {
  if (!p) return 0;
  if (p.seq) return p.seq.length;
  let n = 0;
  for (const e of p.m.values()) if (lElemLive(e)) n++;
  return n;
}

/** Newest live dot (for the visible type when concurrent writes of different types met). */
export function listMaxDot(p: ListPart): [bigint, number] | undefined {
  let best: [bigint, number] | undefined;
  forEachElem(p, (e) => {
    if (lElemLive(e) && (!best || dotGreater(e.vu, e.vn, best[0], best[1]))) best = [e.vu, e.vn];
  });
  return best;
}

/** Removes every live element observed (DEL, and the clear part of an overwrite). */
export function listClearDelta(p: ListPart, node: number, u: bigint): ListPart | undefined {
  const m = new Map<string, LElem>();
  forEachElem(p, (e) => {
    if (lElemLive(e)) m.set(e.id, lRemoveDelta(e, node, u));
  });
  return m.size ? { m } : undefined;
}

/** Drops removed elements whose removal every replica has seen; returns how many. */
export function listGc(p: ListPart, stable: (n: number, u: bigint) => boolean): number {
  let c = 0;
  for (const [id, e] of p.m) {
    // a removed element, or an entry whose creation never arrived although every replica has
    // seen it (its element was collected here before a late LSET or removal came)
    const dead = e.ru !== undefined ? stable(e.rn!, e.ru) : !e.born;
    if (dead && stable(e.n, e.u) && stable(e.vn, e.vu)) {
      p.m.delete(id);
      c++;
    }
  }
  return c;
}

export function listTombstones(p: ListPart): number {
  let t = 0;
  for (const e of p.m.values()) if (!lElemLive(e)) t++;
  return t;
}
