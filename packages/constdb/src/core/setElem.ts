// A set member: the adds of every node (latest uuid each) and the observed removes.
// Like scalars (scalar.ts), a member added by one node only holds its one add as (an, au)
// instead of a one-entry Map; a second node's add upgrades it to the Map. Both forms mean the
// same state: these functions read both, the codec writes both as the same bytes, and
// elemAdds gives the Map form (digests, tests).
import { type VV, vv1, vvGet, vvJoinInto, scalarForm } from './scalar.js';

/** Invariant: never add and au together; no add at all = no adds. */
export interface Elem {
  add?: VV;
  /** compact add: node an added at au (add absent) */
  an?: number;
  au?: bigint;
  rm?: VV;
}

/** The delta of one node's add (SADD). */
export function elemAdd1(node: number, u: bigint): Elem {
  return scalarForm.compact ? { an: node, au: u } : { add: vv1(node, u) };
}

export function elemLive(e: Elem): boolean {
  if (e.au !== undefined) return e.au > vvGet(e.rm, e.an!);
  if (e.add) for (const [n, u] of e.add) if (u > vvGet(e.rm, n)) return true;
  return false;
}

/** Has the member any add left (live or removed-but-not-yet-dropped)? */
export function elemHasAdd(e: Elem): boolean {
  return e.au !== undefined || (e.add?.size ?? 0) > 0;
}

/** The adds as a Map (a new one for the compact form). */
export function elemAdds(e: Elem): VV {
  if (e.add) return e.add;
  return e.au !== undefined ? vv1(e.an!, e.au) : new Map();
}

/** Calls f for every add (node, uuid). */
export function forEachAdd(e: Elem, f: (n: number, u: bigint) => void): void {
  if (e.au !== undefined) f(e.an!, e.au);
  if (e.add) for (const [n, u] of e.add) f(n, u);
}

function joinAdd1(e: Elem, n: number, u: bigint): void {
  if (e.add) {
    if (u > (e.add.get(n) ?? -1n)) e.add.set(n, u);
  } else if (e.au === undefined) {
    if (scalarForm.compact) {
      e.an = n;
      e.au = u;
    } else e.add = vv1(n, u);
  } else if (e.an === n) {
    if (u > e.au) e.au = u;
  } else {
    e.add = vv1(e.an!, e.au).set(n, u);
    e.au = undefined;
    e.an = undefined;
  }
}

/** Joins delta d into e (mutating e); drops the adds its removes cover. */
export function elemJoinInto(e: Elem, d: Elem): void {
  if (d.au !== undefined) joinAdd1(e, d.an!, d.au);
  else if (d.add) for (const [n, u] of d.add) joinAdd1(e, n, u);
  if (d.rm) {
    if (!e.rm) e.rm = new Map();
    vvJoinInto(e.rm, d.rm);
  }
  if (e.rm) {
    if (e.add) for (const [n, u] of e.add) if (u <= vvGet(e.rm, n)) e.add.delete(n);
    if (e.au !== undefined && e.au <= vvGet(e.rm, e.an!)) {
      e.au = undefined;
      e.an = undefined;
    }
  }
}

/** A copy that shares nothing mutable with e. */
export function elemClone(e: Elem): Elem {
  const c: Elem = {};
  if (e.add) c.add = new Map(e.add);
  if (e.au !== undefined) {
    c.an = e.an;
    c.au = e.au;
  }
  if (e.rm) c.rm = new Map(e.rm);
  return c;
}

/** The delta removing every add of e this node has observed (and its own dot). */
export function elemRemoveDelta(e: Elem, node: number, u: bigint): Elem {
  const rm = new Map(elemAdds(e));
  if (u > vvGet(rm, node)) rm.set(node, u);
  return scalarForm.compact ? { rm } : { add: new Map(), rm };
}
