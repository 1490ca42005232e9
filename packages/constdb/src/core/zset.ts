// Sorted sets: an add-wins observed-remove set of members (as sets: add dots per node, the
// removes observed) where each member's score is a convergent counter over an LWW base:
//   b    the latest ZADD score with its dot (max by dot)
//   inc  node -> that node's running score t after its ZINCRBYs on base dot bu@bn, max by u
// score = t when one node incremented the current base (exactly Redis's sequential sum),
// else b.s + the sum, in node order, of every such node's (t - b.s).
// So concurrent ZINCRBYs on different nodes all count, a ZADD replaces the score and voids
// the increments it had not seen (they were made against an older base), and a ZINCRBY of
// a missing member is a ZADD of the increment. With increments from several nodes the
// parts are added in node order, so fractions that are not exact in binary may differ in
// the last bits from the order one Redis would have added them in.
import { SortedSeq } from './sortedSeq.js';
import { vv1, vvGet, scalarForm } from './scalar.js';
import { type Elem, elemLive, elemJoinInto, elemHasAdd, elemAdds, forEachAdd } from './setElem.js';
import { dotGreater } from './uuid.js';

export interface ZBase { u: bigint; n: number; s: number }
export interface ZInc { bu: bigint; bn: number; u: bigint; t: number }

/** A member: its adds and removes as a set member's (setElem.ts, compact add included), and its score parts. */
export interface ZElem extends Elem {
  k: string;
  b?: ZBase;
  inc?: Map<number, ZInc>;
  /** the score (derived from b and inc) */
  sc: number;
}

export interface ZsetPart {
  m: Map<string, ZElem>;
  /** live members ordered by (score, member) (derived; keyspace records only) */
  seq?: SortedSeq<ZElem>;
}

export function zcmp(a: ZElem, b: ZElem): number {
  if (a.sc !== b.sc) return a.sc < b.sc ? -1 : 1;
  return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
}

export const zLive: (e: ZElem) => boolean = elemLive;

export function zScore(e: Pick<ZElem, 'b' | 'inc'>): number {
  if (!e.b) return 0;
  const b = e.b;
  let s = b.s;
  if (e.inc) {
    const ns: number[] = [];
    for (const [n, i] of e.inc) if (i.bu === b.u && i.bn === b.n) ns.push(n);
    if (ns.length === 1) s = e.inc.get(ns[0]!)!.t;
    else if (ns.length > 1) {
      ns.sort((x, y) => x - y);
      let sum = 0;
      for (const n of ns) sum += e.inc.get(n)!.t - b.s;
      s = b.s + sum;
    }
  }
  return Number.isNaN(s) ? b.s : s;
}

export function newZsetPart(): ZsetPart {
  return { m: new Map(), seq: new SortedSeq(zcmp) };
}

function joinElem(e: ZElem, d: ZElem): void {
  elemJoinInto(e, d);
  if (d.b && (!e.b || dotGreater(d.b.u, d.b.n, e.b.u, e.b.n))) e.b = d.b;
  if (d.inc) {
    if (!e.inc) e.inc = new Map();
    for (const [n, i] of d.inc) {
      const cur = e.inc.get(n);
      if (!cur || dotGreater(i.bu, i.bn, cur.bu, cur.bn) || (i.bu === cur.bu && i.bn === cur.bn && i.u > cur.u)) e.inc.set(n, i);
    }
  }
  // increments made against a base older than the current one no longer count
  if (e.inc && e.b) for (const [n, i] of e.inc) if (dotGreater(e.b.u, e.b.n, i.bu, i.bn)) e.inc.delete(n);
}

function cloneElem(e: ZElem): ZElem {
  const c: ZElem = { k: e.k, sc: e.sc };
  if (e.add) c.add = new Map(e.add);
  if (e.au !== undefined) {
    c.an = e.an;
    c.au = e.au;
  }
  if (e.rm) c.rm = new Map(e.rm);
  if (e.b) c.b = e.b;
  if (e.inc) c.inc = new Map(e.inc);
  return c;
}

export function zsetJoinInto(p: ZsetPart, d: ZsetPart): void {
  for (const [k, x] of d.m) {
    let cur = p.m.get(k);
    const was = cur !== undefined && zLive(cur);
    if (!cur) {
      cur = { k, sc: 0 };
      p.m.set(k, cur);
    }
    if (was && p.seq) p.seq.remove(cur);
    joinElem(cur, x);
    cur.sc = zScore(cur);
    if (p.seq && zLive(cur)) p.seq.insert(cur);
  }
}

export function zsetClone(p: ZsetPart, withSeq: boolean): ZsetPart {
  const c: ZsetPart = { m: new Map() };
  if (withSeq) c.seq = new SortedSeq(zcmp);
  for (const [k, e] of p.m) {
    const x = cloneElem(e);
    x.sc = zScore(x);
    c.m.set(k, x);
    if (c.seq && zLive(x)) c.seq.insert(x);
  }
  return c;
}

export function zsetCard(p: ZsetPart | undefined): number {
  if (!p) return 0;
  if (p.seq) return p.seq.length;
  let n = 0;
  for (const e of p.m.values()) if (zLive(e)) n++;
  return n;
}

export function zsetMaxDot(p: ZsetPart): [bigint, number] | undefined {
  let best: [bigint, number] | undefined;
  for (const e of p.m.values()) {
    forEachAdd(e, (n, u) => {
      if (u > vvGet(e.rm, n) && (!best || dotGreater(u, n, best[0], best[1]))) best = [u, n];
    });
  }
  return best;
}

/** ZREM of one member: removes the adds observed. */
export function zRemoveDelta(e: ZElem, node: number, u: bigint): ZElem {
  const rm = new Map(elemAdds(e));
  if (u > vvGet(rm, node)) rm.set(node, u);
  return scalarForm.compact ? { k: e.k, rm, sc: 0 } : { k: e.k, add: new Map(), rm, sc: 0 };
}

export function zsetClearDelta(p: ZsetPart, node: number, u: bigint): ZsetPart | undefined {
  const m = new Map<string, ZElem>();
  for (const [k, e] of p.m) if (elemHasAdd(e)) m.set(k, zRemoveDelta(e, node, u));
  return m.size ? { m } : undefined;
}

/** ZADD of a member with score s. */
export function zAddDelta(k: string, node: number, u: bigint, s: number): ZElem {
  const b: ZBase = { u, n: node, s };
  return scalarForm.compact ? { k, an: node, au: u, b, sc: s } : { k, add: vv1(node, u), b, sc: s };
}

/** ZINCRBY by `by` of a live member e (against its current base). */
export function zIncrDelta(e: ZElem, node: number, u: bigint, by: number): ZElem {
  const b = e.b!;
  const mine = e.inc?.get(node);
  // this node's running score on this base: its part counts as (t - base)
  const t0 = mine && mine.bu === b.u && mine.bn === b.n ? mine.t : b.s;
  const inc = new Map<number, ZInc>().set(node, { bu: b.u, bn: b.n, u, t: t0 + by });
  return scalarForm.compact ? { k: e.k, an: node, au: u, inc, sc: 0 } : { k: e.k, add: vv1(node, u), inc, sc: 0 };
}

export function zsetGc(p: ZsetPart, stable: (n: number, u: bigint) => boolean): number {
  let c = 0;
  for (const [k, e] of p.m) {
    if (elemHasAdd(e)) continue;
    let ok = true;
    if (e.rm) for (const [n, u] of e.rm) if (!stable(n, u)) ok = false;
    if (ok) {
      p.m.delete(k);
      c++;
    }
  }
  return c;
}

export function zsetTombstones(p: ZsetPart): number {
  let t = 0;
  for (const e of p.m.values()) if (!zLive(e)) t++;
  return t;
}
