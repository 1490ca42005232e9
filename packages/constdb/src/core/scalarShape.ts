// The shape of a scalar (scalar.ts): its parts, the compact form of issue 22 (one register,
// one clear entry, one counter entry held without Maps), the views of both forms as Maps,
// and the joins of one entry that keep a part compact while they can. Pure.

export interface Reg { u: bigint; v: Buffer }
export interface Ctr { u: bigint; net: bigint }
export type VV = Map<number, bigint>;
/** node -> epoch -> entry */
export type Ctrs = Map<number, Map<bigint, Ctr>>;

/**
 * The compact form (issue 22's cheap record shape): a string written by one node with no
 * concurrent history holds its one register as (rn, r) and its one clear entry as (cn, cu)
 * instead of a one-entry Map each; a second node's register or clear entry upgrades that part
 * to its Map. Either form of a part means the same state: every function here reads both, the
 * codec writes both as the same bytes, and scalarFull gives the Map form (digests, tests).
 * Counters likewise: one (node, epoch) entry as (kn, ke, k) until a second one joins.
 * Invariant: never regs and r together, never clr and cu together, never cnt and k together.
 */
export interface Scalar {
  regs?: Map<number, Reg>;
  /** compact register: node rn's register r (regs absent) */
  rn?: number;
  r?: Reg;
  cnt?: Ctrs;
  /** compact counter: the entry k of node kn's life ke (cnt absent) */
  kn?: number;
  ke?: bigint;
  k?: Ctr;
  clr?: VV;
  /** compact clear: node cn cleared up to cu (clr absent) */
  cn?: number;
  cu?: bigint;
  clrCnt?: Ctrs;
}

/**
 * Whether new scalars take the compact form. Always on in the server; the property test
 * turns it off to run the same ops on always-full records and compare.
 */
export const scalarForm = { compact: true };

/** The clear entry of node n (-1 when none). */
export function clrGet(s: Scalar, n: number): bigint {
  if (s.clr) return s.clr.get(n) ?? -1n;
  return s.cn === n ? s.cu! : -1n;
}

/** Has the scalar any clear entry? */
export function scalarHasClr(s: Scalar): boolean {
  return s.clr !== undefined || s.cu !== undefined;
}

/** The clear entries as a version vector (a new Map for the compact form; GC and codecs). */
export function scalarClr(s: Scalar): VV | undefined {
  if (s.clr) return s.clr;
  return s.cu !== undefined ? vv1(s.cn!, s.cu) : undefined;
}

/** The registers as a Map (a new one for the compact form). */
export function scalarRegs(s: Scalar): Map<number, Reg> | undefined {
  if (s.regs) return s.regs;
  return s.r ? new Map<number, Reg>().set(s.rn!, s.r) : undefined;
}

/** Has the scalar any register or counter entry (live or not)? */
export function scalarHasEntries(s: Scalar): boolean {
  return (s.regs?.size ?? 0) > 0 || s.r !== undefined || (s.cnt?.size ?? 0) > 0 || s.k !== undefined;
}

/** The counter entries as node -> epoch -> entry (a new Map for the compact form). */
export function scalarCnt(s: Scalar): Ctrs | undefined {
  if (s.cnt) return s.cnt;
  return s.k ? new Map<number, Map<bigint, Ctr>>().set(s.kn!, new Map<bigint, Ctr>().set(s.ke!, s.k)) : undefined;
}

/** The same state with every part in its Map form (canonical digests, state comparison). */
export function scalarFull(s: Scalar): Scalar {
  const c: Scalar = {};
  const regs = scalarRegs(s);
  // a register Map the clears have emptied holds what no register holds (the compact form
  // just drops its register): the same state, so the same canonical bytes
  if (regs && regs.size > 0) c.regs = regs;
  const cnt = scalarCnt(s);
  if (cnt) c.cnt = cnt;
  const clr = scalarClr(s);
  if (clr) c.clr = clr;
  if (s.clrCnt) c.clrCnt = s.clrCnt;
  return c;
}

/** Turns compact parts into Maps in place (a second node's entry is joining). */
export function upgradeRegs(s: Scalar): Map<number, Reg> {
  if (!s.regs) {
    s.regs = new Map();
    if (s.r) s.regs.set(s.rn!, s.r);
    s.r = undefined;
    s.rn = undefined;
  }
  return s.regs;
}

export function upgradeCnt(s: Scalar): Ctrs {
  if (!s.cnt) {
    s.cnt = new Map();
    if (s.k) s.cnt.set(s.kn!, new Map<bigint, Ctr>().set(s.ke!, s.k));
    s.k = undefined;
    s.kn = undefined;
    s.ke = undefined;
  }
  return s.cnt;
}

export function upgradeClr(s: Scalar): VV {
  if (!s.clr) {
    s.clr = new Map();
    if (s.cu !== undefined) s.clr.set(s.cn!, s.cu);
    s.cu = undefined;
    s.cn = undefined;
  }
  return s.clr;
}

/** A version vector of one entry (Map.set: cheaper than the iterable constructor on hot paths). */
export function vv1(n: number, u: bigint): VV {
  return new Map<number, bigint>().set(n, u);
}

export function vvGet(vv: VV | undefined, n: number): bigint {
  return vv?.get(n) ?? -1n;
}

export function vvJoinInto(into: VV, from: VV): void {
  for (const [n, u] of from) if (u > (into.get(n) ?? -1n)) into.set(n, u);
}

export function ctrGet(m: Ctrs | undefined, n: number, e: bigint): Ctr | undefined {
  return m?.get(n)?.get(e);
}

export function ctrJoinInto(into: Ctrs, from: Ctrs): void {
  for (const [n, es] of from) {
    let mine = into.get(n);
    if (!mine) into.set(n, (mine = new Map()));
    for (const [e, c] of es) {
      const cur = mine.get(e);
      if (!cur || c.u > cur.u) mine.set(e, c);
    }
  }
}

export function ctrsClone(m: Ctrs): Ctrs {
  const c: Ctrs = new Map();
  for (const [n, es] of m) c.set(n, new Map(es));
  return c;
}
/** Joins the counter entry c of node n's life e, keeping s compact while it can be. */
export function joinCtr1(s: Scalar, n: number, e: bigint, c: Ctr): void {
  if (s.cnt) {
    let mine = s.cnt.get(n);
    if (!mine) s.cnt.set(n, (mine = new Map()));
    const cur = mine.get(e);
    if (!cur || c.u > cur.u) mine.set(e, c);
  } else if (!s.k) {
    if (scalarForm.compact) {
      s.kn = n;
      s.ke = e;
      s.k = c;
    } else s.cnt = new Map<number, Map<bigint, Ctr>>().set(n, new Map<bigint, Ctr>().set(e, c));
  } else if (s.kn === n && s.ke === e) {
    if (c.u > s.k.u) s.k = c;
  } else {
    const cnt = upgradeCnt(s);
    let mine = cnt.get(n);
    if (!mine) cnt.set(n, (mine = new Map()));
    mine.set(e, c);
  }
}

/** Joins one clear entry (node n cleared up to u), keeping s compact while it can be. */
export function joinClr1(s: Scalar, n: number, u: bigint): void {
  if (s.clr) {
    if (u > (s.clr.get(n) ?? -1n)) s.clr.set(n, u);
  } else if (s.cu === undefined) {
    if (scalarForm.compact) {
      s.cn = n;
      s.cu = u;
    } else s.clr = vv1(n, u);
  } else if (s.cn === n) {
    if (u > s.cu) s.cu = u;
  } else upgradeClr(s).set(n, u);
}

/** Joins node n's register r, keeping s compact while it can be. */
export function joinReg1(s: Scalar, n: number, r: Reg): void {
  if (s.regs) {
    const cur = s.regs.get(n);
    if (!cur || r.u > cur.u) s.regs.set(n, r);
  } else if (!s.r) {
    if (scalarForm.compact) {
      s.rn = n;
      s.r = r;
    } else s.regs = new Map<number, Reg>().set(n, r);
  } else if (s.rn === n) {
    if (r.u > s.r.u) s.r = r;
  } else upgradeRegs(s).set(n, r);
}
