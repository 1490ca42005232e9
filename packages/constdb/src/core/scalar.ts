// A string value that is at once an LWW register and a PN-counter (Redis strings are both).
//
// State (each part a join-semilattice, merged pointwise):
//   regs   node -> latest SET by that node {u, v}            (max by u)
//   cnt    node -> epoch -> that node life's cumulative net increment {u, net}  (max by u)
//   clr    node -> highest uuid of that node's writes removed by a SET/DEL (observed-remove)
//   clrCnt node -> epoch -> the counter entry as observed when it was removed (max by u)
// A reg or counter entry of node n is live iff its u > clr[n].
// Counters are keyed by (node, epoch) because a node that restarts after losing own ops (the
// lossy fsync modes) rebuilds its running total from what it recovered: written under the old
// key, that smaller total with a newer uuid would supersede the larger one its peers hold and
// wipe out the increments they kept. A life that may have lost ops gets a new epoch (see
// storage/seqCeiling.ts), so its total starts afresh beside the old life's entry, which peers
// keep merging (max by u) and which keeps counting. The value is the newest live
// reg (uuid, node) plus the sum of the live counters' growth since they were last cleared:
// concurrent INCRs on different nodes all count, a SET or DEL removes exactly the writes
// it had observed, and a concurrent INCR that it had not seen survives on top of the SET.
// If the winning reg is not an integer, concurrent increments are ignored (the string wins).
import { dotGreater } from './uuid.js';
import {
  type Reg, type Ctr, type Ctrs, type VV, type Scalar, scalarForm, clrGet, scalarCnt, vv1, vvGet, ctrGet,
  upgradeRegs, upgradeCnt, upgradeClr, vvJoinInto, ctrJoinInto, ctrsClone, joinCtr1, joinClr1, joinReg1,
} from './scalarShape.js';

export {
  type Reg, type Ctr, type VV, type Ctrs, type Scalar, scalarForm, clrGet, scalarHasClr, scalarClr, scalarRegs,
  scalarHasEntries, scalarCnt, scalarFull, vv1, vvGet, vvJoinInto, ctrGet,
} from './scalarShape.js';

export function scalarLive(s: Scalar): boolean {
  if (s.r && s.r.u > clrGet(s, s.rn!)) return true;
  if (s.regs) for (const [n, r] of s.regs) if (r.u > clrGet(s, n)) return true;
  if (s.k && s.k.u > clrGet(s, s.kn!)) return true;
  if (s.cnt) for (const [n, es] of s.cnt) for (const c of es.values()) if (c.u > clrGet(s, n)) return true;
  return false;
}

/** Highest live dot (for type resolution between concurrently written types). */
export function scalarMaxDot(s: Scalar): [bigint, number] | undefined {
  let best: [bigint, number] | undefined;
  const consider = (u: bigint, n: number): void => {
    if (u > clrGet(s, n) && (!best || dotGreater(u, n, best[0], best[1]))) best = [u, n];
  };
  if (s.r) consider(s.r.u, s.rn!);
  if (s.regs) for (const [n, r] of s.regs) consider(r.u, n);
  if (s.k) consider(s.k.u, s.kn!);
  if (s.cnt) for (const [n, es] of s.cnt) for (const c of es.values()) consider(c.u, n);
  return best;
}

const INT_RE = /^(0|-?[1-9][0-9]{0,18})$/;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** Redis's string2ll: strict decimal, no spaces, no leading zeros, no '+', within int64. */
export function parseI64(b: Buffer | string): bigint | undefined {
  const s = typeof b === 'string' ? b : b.length > 20 ? '' : b.toString('latin1');
  if (!INT_RE.test(s)) return undefined;
  const n = BigInt(s);
  return n > I64_MAX || n < I64_MIN ? undefined : n;
}

export function inI64(n: bigint): boolean {
  return n <= I64_MAX && n >= I64_MIN;
}

export interface ScalarValue { bytes?: Buffer; int?: bigint }

/** The visible value; undefined if the scalar holds nothing live. */
export function scalarValue(s: Scalar): ScalarValue | undefined {
  let best: Reg | undefined;
  let bestN = 0;
  if (s.r && s.r.u > clrGet(s, s.rn!)) {
    best = s.r;
    bestN = s.rn!;
  }
  if (s.regs) {
    for (const [n, r] of s.regs) {
      if (r.u > clrGet(s, n) && (!best || dotGreater(r.u, n, best.u, bestN))) {
        best = r;
        bestN = n;
      }
    }
  }
  let delta = 0n;
  let anyCnt = false;
  if (s.k && s.k.u > clrGet(s, s.kn!)) {
    anyCnt = true;
    delta = s.k.net - (ctrGet(s.clrCnt, s.kn!, s.ke!)?.net ?? 0n);
  }
  if (s.cnt) {
    for (const [n, es] of s.cnt) {
      const cl = clrGet(s, n);
      for (const [e, c] of es) {
        if (c.u > cl) {
          anyCnt = true;
          delta += c.net - (ctrGet(s.clrCnt, n, e)?.net ?? 0n);
        }
      }
    }
  }
  if (!best) return anyCnt ? { int: delta } : undefined;
  if (!anyCnt) return { bytes: best.v };
  const base = parseI64(best.v);
  if (base === undefined) return { bytes: best.v };
  return { int: base + delta };
}

export function scalarBytes(v: ScalarValue): Buffer {
  return v.bytes ?? Buffer.from(v.int!.toString(), 'latin1');
}

/**
 * The value as an int64, undefined if it is not one. Concurrent increments on different
 * nodes can merge to a sum beyond int64 (each was in range where it was made); such a value
 * reads as its exact decimal string and, like that string in Redis, is not an integer.
 */
export function scalarInt(v: ScalarValue): bigint | undefined {
  if (v.int !== undefined) return inI64(v.int) ? v.int : undefined;
  return parseI64(v.bytes!);
}

/**
 * Delta that removes everything of s this node has observed. The remover's own dot (node, u)
 * is part of the clear so that its causal stability covers the remove op itself.
 */
export function scalarClearDelta(s: Scalar, node: number, u: bigint): Scalar {
  if (scalarForm.compact && !s.cnt && !s.k && !s.regs && (!s.r || s.rn === node)) {
    // only this node's register (or none) was observed: one clear entry, compact
    return { cn: node, cu: s.r && s.r.u > u ? s.r.u : u };
  }
  const clr: VV = vv1(node, u);
  if (s.r && s.r.u > vvGet(clr, s.rn!)) clr.set(s.rn!, s.r.u);
  if (s.regs) for (const [n, r] of s.regs) if (r.u > vvGet(clr, n)) clr.set(n, r.u);
  let clrCnt: Ctrs | undefined;
  const cnt = scalarCnt(s);
  if (cnt) {
    clrCnt = ctrsClone(cnt);
    for (const [n, es] of cnt) for (const c of es.values()) if (c.u > vvGet(clr, n)) clr.set(n, c.u);
  }
  const d: Scalar = { clr };
  if (clrCnt) d.clrCnt = clrCnt;
  return d;
}

/** Delta for SET: clear what was observed and write a new register. */
export function scalarSetDelta(s: Scalar | undefined, node: number, u: bigint, v: Buffer): Scalar {
  return scalarSetOnto(s ? scalarClearDelta(s, node, u - 1n) : {}, node, u, v);
}

/** Adds SET's new register to a clear delta already made of the observed scalar. */
export function scalarSetOnto(clear: Scalar, node: number, u: bigint, v: Buffer): Scalar {
  if (scalarForm.compact) {
    clear.rn = node;
    clear.r = { u, v };
  } else clear.regs = new Map<number, Reg>().set(node, { u, v });
  return clear;
}

/** Delta for INCRBY: this node life's counter (node, epoch) grows by `by`. */
export function scalarIncrDelta(s: Scalar | undefined, node: number, epoch: bigint, u: bigint, by: bigint): Scalar {
  const own = s?.k && s.kn === node && s.ke === epoch ? s.k : ctrGet(s?.cnt, node, epoch);
  const cleared = ctrGet(s?.clrCnt, node, epoch);
  const prev = own && (!cleared || own.u >= cleared.u) ? own.net : (cleared?.net ?? 0n);
  const k: Ctr = { u, net: prev + by };
  if (scalarForm.compact) return { kn: node, ke: epoch, k };
  return { cnt: new Map<number, Map<bigint, Ctr>>().set(node, new Map<bigint, Ctr>().set(epoch, k)) };
}

/** Joins delta d into s (mutating s); drops registers the clear has made dead. */
export function scalarJoinInto(s: Scalar, d: Scalar): void {
  if (d.clr) {
    // a one-entry Map (a decoded op) joins like the compact form, so it does not upgrade s
    if (d.clr.size === 1 && scalarForm.compact) {
      const [n, u] = d.clr.entries().next().value!;
      joinClr1(s, n, u);
    } else vvJoinInto(upgradeClr(s), d.clr);
  } else if (d.cu !== undefined) joinClr1(s, d.cn!, d.cu);
  if (d.clrCnt) {
    if (!s.clrCnt) s.clrCnt = new Map();
    ctrJoinInto(s.clrCnt, d.clrCnt);
  }
  if (d.cnt) {
    const es = d.cnt.size === 1 && scalarForm.compact ? d.cnt.values().next().value! : undefined;
    if (es && es.size === 1) {
      const [e, c] = es.entries().next().value!;
      joinCtr1(s, d.cnt.keys().next().value!, e, c);
    } else ctrJoinInto(upgradeCnt(s), d.cnt);
  } else if (d.k) joinCtr1(s, d.kn!, d.ke!, d.k);
  if (d.regs) {
    if (d.regs.size === 1 && scalarForm.compact) {
      const [n, r] = d.regs.entries().next().value!;
      joinReg1(s, n, r);
    } else {
      const regs = upgradeRegs(s);
      for (const [n, r] of d.regs) {
        const cur = regs.get(n);
        if (!cur || r.u > cur.u) regs.set(n, r);
      }
    }
  } else if (d.r) joinReg1(s, d.rn!, d.r);
  if (s.regs && (s.clr || s.cu !== undefined)) {
    for (const [n, r] of s.regs) if (r.u <= clrGet(s, n)) s.regs.delete(n);
  }
  if (s.r && s.r.u <= clrGet(s, s.rn!)) {
    s.r = undefined;
    s.rn = undefined;
  }
}

export function scalarClone(s: Scalar): Scalar {
  const c: Scalar = {};
  if (s.regs) c.regs = new Map(s.regs);
  if (s.r) {
    c.rn = s.rn;
    c.r = s.r;
  }
  if (s.cnt) c.cnt = ctrsClone(s.cnt);
  if (s.k) {
    c.kn = s.kn;
    c.ke = s.ke;
    c.k = s.k;
  }
  if (s.clr) c.clr = new Map(s.clr);
  if (s.cu !== undefined) {
    c.cn = s.cn;
    c.cu = s.cu;
  }
  if (s.clrCnt) c.clrCnt = ctrsClone(s.clrCnt);
  return c;
}
