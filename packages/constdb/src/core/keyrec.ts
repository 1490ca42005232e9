// One key's replicated state: a string/counter scalar, an add-wins observed-remove set,
// an add-wins map of fields to scalars, and the expiry. Every op is expressed as a delta
// of this same shape and applied with the same join that merges snapshots, so ops and
// state transfer converge identically (commutative, associative, idempotent).
import {
  type Scalar, type VV, vv1, scalarJoinInto, scalarLive, scalarMaxDot, scalarClone, scalarClearDelta, vvGet, vvJoinInto,
  scalarHasEntries, scalarClr,
} from './scalar.js';
import { dotGreater } from './uuid.js';
import {
  type ListPart, newListPart, listJoinInto, listClone, listLength, listMaxDot, listClearDelta, listGc, listTombstones, listSize,
} from './list.js';
import {
  type ZsetPart, newZsetPart, zsetJoinInto, zsetClone, zsetCard, zsetMaxDot, zsetClearDelta, zsetGc, zsetTombstones,
} from './zset.js';

import { type Elem, elemLive, elemJoinInto, elemClone, elemHasAdd, elemRemoveDelta, forEachAdd } from './setElem.js';

export { type Elem, elemLive, elemRemoveDelta } from './setElem.js';

/** Expiry: node -> its latest EXPIRE/PERSIST {u, at} (absolute ms, exact to int64; at 0 = PERSIST), minus observed ones. */
export interface Expiry { e: Map<number, { u: bigint; at: bigint }>; clr?: VV }

export interface KeyRec {
  str?: Scalar;
  set?: Map<string, Elem>;
  hash?: Map<string, Scalar>;
  list?: ListPart;
  zset?: ZsetPart;
  exp?: Expiry;
}

export type KeyType = 'string' | 'set' | 'hash' | 'list' | 'zset';


function expJoinInto(x: Expiry, d: Expiry): void {
  if (d.clr) {
    if (!x.clr) x.clr = new Map();
    vvJoinInto(x.clr, d.clr);
  }
  for (const [n, v] of d.e) {
    const cur = x.e.get(n);
    if (!cur || v.u > cur.u) x.e.set(n, v);
  }
  if (x.clr) for (const [n, v] of x.e) if (v.u <= vvGet(x.clr, n)) x.e.delete(n);
}

/** Absolute expiry ms, or 0 when the key does not expire. Longest TTL wins, PERSIST beats any TTL. */
export function expiryAt(x: Expiry | undefined): bigint {
  if (!x) return 0n;
  let at = 0n;
  for (const [n, v] of x.e) {
    if (v.u <= vvGet(x.clr, n)) continue;
    if (v.at === 0n) return 0n;
    if (v.at > at) at = v.at;
  }
  return at;
}

export function expClearDelta(x: Expiry | undefined, node: number, u: bigint): Expiry | undefined {
  if (!x || x.e.size === 0) return undefined;
  const clr: VV = vv1(node, u);
  for (const [n, v] of x.e) clr.set(n, v.u);
  return { e: new Map(), clr };
}

/** Joins delta d into rec (mutating rec). */
export function keyJoinInto(rec: KeyRec, d: KeyRec): void {
  if (d.str) {
    if (!rec.str) rec.str = {};
    scalarJoinInto(rec.str, d.str);
  }
  if (d.set) {
    if (!rec.set) rec.set = new Map();
    for (const [m, e] of d.set) {
      const cur = rec.set.get(m);
      if (cur) elemJoinInto(cur, e);
      else {
        const c = elemClone(e);
        elemJoinInto(c, {}); // drops the adds its own removes cover
        rec.set.set(m, c);
      }
    }
  }
  if (d.hash) {
    if (!rec.hash) rec.hash = new Map();
    for (const [f, s] of d.hash) {
      const cur = rec.hash.get(f);
      if (cur) scalarJoinInto(cur, s);
      else {
        const c: Scalar = {};
        scalarJoinInto(c, s);
        rec.hash.set(f, c);
      }
    }
  }
  if (d.list) {
    if (!rec.list) rec.list = newListPart();
    listJoinInto(rec.list, d.list);
  }
  if (d.zset) {
    if (!rec.zset) rec.zset = newZsetPart();
    zsetJoinInto(rec.zset, d.zset);
  }
  if (d.exp) {
    if (!rec.exp) rec.exp = { e: new Map() };
    expJoinInto(rec.exp, d.exp);
  }
}

export function keyClone(rec: KeyRec): KeyRec {
  const c: KeyRec = {};
  if (rec.str) c.str = scalarClone(rec.str);
  if (rec.set) {
    c.set = new Map();
    for (const [m, e] of rec.set) c.set.set(m, elemClone(e));
  }
  if (rec.hash) {
    c.hash = new Map();
    for (const [f, s] of rec.hash) c.hash.set(f, scalarClone(s));
  }
  if (rec.list) c.list = listClone(rec.list, rec.list.seq !== undefined);
  if (rec.zset) c.zset = zsetClone(rec.zset, rec.zset.seq !== undefined);
  if (rec.exp) c.exp = { e: new Map(rec.exp.e), ...(rec.exp.clr ? { clr: new Map(rec.exp.clr) } : {}) };
  return c;
}

function setMaxDot(set: Map<string, Elem>): [bigint, number] | undefined {
  let best: [bigint, number] | undefined;
  for (const e of set.values()) {
    forEachAdd(e, (n, u) => {
      if (u > vvGet(e.rm, n) && (!best || dotGreater(u, n, best[0], best[1]))) best = [u, n];
    });
  }
  return best;
}

function hashMaxDot(hash: Map<string, Scalar>): [bigint, number] | undefined {
  let best: [bigint, number] | undefined;
  for (const s of hash.values()) {
    const d = scalarMaxDot(s);
    if (d && (!best || dotGreater(d[0], d[1], best[0], best[1]))) best = d;
  }
  return best;
}

/**
 * The visible type. Locally a write of another type is refused (WRONGTYPE), so several
 * live parts only appear after concurrent writes of different types on different nodes;
 * then the part holding the newest live write wins and the others stay hidden.
 */
export function keyType(rec: KeyRec): KeyType | undefined {
  // every command asks this, usually of a record with one live part: find it without
  // allocating, and rank the parts by their newest dot only when several are live
  const str = rec.str !== undefined && scalarLive(rec.str);
  const set = rec.set !== undefined && setHasLive(rec.set);
  const hash = rec.hash !== undefined && hashHasLive(rec.hash);
  const list = rec.list !== undefined && listLength(rec.list) > 0;
  const zset = rec.zset !== undefined && zsetCard(rec.zset) > 0;
  const live = +str + +set + +hash + +list + +zset;
  if (live === 0) return undefined;
  if (live === 1) return str ? 'string' : set ? 'set' : hash ? 'hash' : list ? 'list' : 'zset';
  let best: [KeyType, [bigint, number]] | undefined;
  const rank = (t: KeyType, d: [bigint, number] | undefined): void => {
    if (d && (!best || dotGreater(d[0], d[1], best[1][0], best[1][1]))) best = [t, d];
  };
  if (str) rank('string', scalarMaxDot(rec.str!));
  if (set) rank('set', setMaxDot(rec.set!));
  if (hash) rank('hash', hashMaxDot(rec.hash!));
  if (list) rank('list', listMaxDot(rec.list!));
  if (zset) rank('zset', zsetMaxDot(rec.zset!));
  return best?.[0];
}

function setHasLive(set: Map<string, Elem>): boolean {
  for (const e of set.values()) if (elemLive(e)) return true;
  return false;
}

function hashHasLive(hash: Map<string, Scalar>): boolean {
  for (const s of hash.values()) if (scalarLive(s)) return true;
  return false;
}

/** Delta that removes everything of rec this node has observed (DEL, and the clear part of SET). */
export function keyClearDelta(rec: KeyRec, node: number, u: bigint): KeyRec {
  const d: KeyRec = {};
  if (rec.str && scalarHasEntries(rec.str)) d.str = scalarClearDelta(rec.str, node, u);
  if (rec.set) {
    const set = new Map<string, Elem>();
    for (const [m, e] of rec.set) if (elemHasAdd(e)) set.set(m, elemRemoveDelta(e, node, u));
    if (set.size) d.set = set;
  }
  if (rec.hash) {
    const hash = new Map<string, Scalar>();
    for (const [f, s] of rec.hash) if (scalarLive(s)) hash.set(f, scalarClearDelta(s, node, u));
    if (hash.size) d.hash = hash;
  }
  if (rec.list) {
    const l = listClearDelta(rec.list, node, u);
    if (l) d.list = l;
  }
  if (rec.zset) {
    const z = zsetClearDelta(rec.zset, node, u);
    if (z) d.zset = z;
  }
  const ex = expClearDelta(rec.exp, node, u);
  if (ex) d.exp = ex;
  return d;
}

/** Drops parts that hold only tombstones older than `stable` (causally stable everywhere). */
export function keyGc(rec: KeyRec, stable: (n: number, u: bigint) => boolean): number {
  let collected = 0;
  const vvStable = (vv: VV | undefined): boolean => {
    if (!vv) return true;
    for (const [n, u] of vv) if (!stable(n, u)) return false;
    return true;
  };
  if (rec.set) {
    for (const [m, e] of rec.set) {
      if (!elemHasAdd(e) && vvStable(e.rm)) {
        rec.set.delete(m);
        collected++;
      }
    }
    if (rec.set.size === 0) delete rec.set;
  }
  if (rec.hash) {
    for (const [f, s] of rec.hash) {
      if (!scalarLive(s) && !s.clrCnt && vvStable(scalarClr(s))) {
        rec.hash.delete(f);
        collected++;
      }
    }
    if (rec.hash.size === 0) delete rec.hash;
  }
  if (rec.list) {
    collected += listGc(rec.list, stable);
    if (listSize(rec.list) === 0) delete rec.list;
  }
  if (rec.zset) {
    collected += zsetGc(rec.zset, stable);
    if (rec.zset.m.size === 0) delete rec.zset;
  }
  // counters keep their clear record: a node's cumulative net is relative to it
  if (rec.str && !scalarLive(rec.str) && !rec.str.clrCnt && vvStable(scalarClr(rec.str))) {
    delete rec.str;
    collected++;
  }
  if (rec.exp && rec.exp.e.size === 0 && vvStable(rec.exp.clr)) delete rec.exp;
  return collected;
}

/** Number of tombstone parts (removed-but-remembered members, fields, strings). */
export function keyTombstones(rec: KeyRec): number {
  let t = 0;
  if (rec.set) for (const e of rec.set.values()) if (!elemLive(e)) t++;
  if (rec.hash) for (const s of rec.hash.values()) if (!scalarLive(s)) t++;
  if (rec.str && !scalarLive(rec.str) && (scalarClr(rec.str)?.size ?? 0) > 0) t++;
  if (rec.list) t += listTombstones(rec.list);
  if (rec.zset) t += zsetTombstones(rec.zset);
  return t;
}
