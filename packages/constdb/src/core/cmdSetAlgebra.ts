// SINTER SUNION SDIFF, their STORE forms, and SMOVE (issue 22). A STORE is, across nodes,
// an overwrite of the destination like SET: it removes what this node had observed of the
// destination (any type, its TTL) and adds the result's members with one new dot, so a
// concurrent SADD to the destination on another node survives (add-wins). SMOVE is an SREM
// on the source and an SADD on the destination (two ops).
import { type CmdCtx, ERR, keyOf } from './context.js';
import { type Elem, elemLive, elemRemoveDelta, keyClearDelta, keyType, type KeyRec } from './keyrec.js';
import { storeEmpty } from './cmdCollections.js';

type Op = 'inter' | 'union' | 'diff';

/** Live members of each key (undefined: missing); null after replying WRONGTYPE. */
function sources(ctx: CmdCtx, args: Buffer[], from: number): Array<Set<string> | undefined> | null {
  const out: Array<Set<string> | undefined> = [];
  for (let i = from; i < args.length; i++) {
    const rec = ctx.db.lookup(keyOf(args[i]!), ctx.now);
    if (!rec) {
      out.push(undefined);
      continue;
    }
    if (keyType(rec) !== 'set') {
      ctx.out.error(ERR.wrongType);
      return null;
    }
    const s = new Set<string>();
    if (rec.set) for (const [m, e] of rec.set) if (elemLive(e)) s.add(m);
    out.push(s);
  }
  return out;
}

function combine(op: Op, sets: Array<Set<string> | undefined>): string[] {
  if (op === 'union') {
    const u = new Set<string>();
    for (const s of sets) if (s) for (const m of s) u.add(m);
    return [...u];
  }
  if (op === 'inter') {
    if (sets.some((s) => !s)) return [];
    const [first, ...rest] = [...(sets as Array<Set<string>>)].sort((a, b) => a.size - b.size);
    return [...first!].filter((m) => rest.every((s) => s.has(m)));
  }
  const [first, ...rest] = sets;
  if (!first) return [];
  return [...first].filter((m) => !rest.some((s) => s?.has(m)));
}

export function cmdSetAlgebra(ctx: CmdCtx, args: Buffer[], op: Op): void {
  const sets = sources(ctx, args, 1);
  if (sets === null) return;
  const ms = combine(op, sets);
  ctx.out.set(ms.length);
  for (const m of ms) ctx.out.bulkLatin1(m);
}

export function cmdSetAlgebraStore(ctx: CmdCtx, args: Buffer[], op: Op): void {
  const sets = sources(ctx, args, 2);
  if (sets === null) return;
  const ms = combine(op, sets);
  const dst = keyOf(args[1]!);
  const rec = ctx.db.forWrite(dst, ctx.now);
  if (ms.length === 0) return storeEmpty(ctx, dst, rec);
  const u = ctx.db.uuid(ctx.now);
  const d: KeyRec = rec ? keyClearDelta(rec, ctx.db.node, u - 1n) : {};
  const set = d.set ?? new Map<string, Elem>();
  for (const m of ms) {
    const cleared = set.get(m);
    set.set(m, cleared?.rm ? { add: new Map([[ctx.db.node, u]]), rm: cleared.rm } : { add: new Map([[ctx.db.node, u]]) });
  }
  d.set = set;
  ctx.sess.lastWrite = u;
  ctx.db.write(dst, d);
  ctx.out.int(ms.length);
}

export function cmdSmove(ctx: CmdCtx, args: Buffer[]): void {
  const src = keyOf(args[1]!);
  const dst = keyOf(args[2]!);
  const m = keyOf(args[3]!);
  const from = ctx.db.forWrite(src, ctx.now);
  const to = ctx.db.forWrite(dst, ctx.now);
  // Redis's order: a missing source answers 0 before any type check
  if (!from) return ctx.out.int(0);
  if (keyType(from) !== 'set' || (to && keyType(to) !== 'set')) return ctx.out.error(ERR.wrongType);
  const e = from.set?.get(m);
  if (!e || !elemLive(e)) return ctx.out.int(0);
  if (src === dst) return ctx.out.int(1);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  ctx.db.write(src, { set: new Map([[m, elemRemoveDelta(e, ctx.db.node, u)]]) });
  ctx.db.write(dst, { set: new Map([[m, { add: new Map([[ctx.db.node, u]]) }]]) });
  ctx.out.int(1);
}
