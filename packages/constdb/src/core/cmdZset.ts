// Sorted-set writes and point reads (issue 22) over zset.ts: ZADD (NX XX GT LT CH INCR),
// ZINCRBY, ZREM, ZPOPMIN/ZPOPMAX, ZSCORE, ZMSCORE, ZCARD, ZRANK/ZREVRANK. Every write is a
// member delta: a ZADD a new base score, a ZINCRBY (and ZADD INCR) a counter step against
// the base it saw, a removal the adds it observed; the checks (NX, GT, ...) decide on what
// this node has seen. Two nodes popping the same minimum both return it (removed once).
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type KeyRec } from './keyrec.js';
import { type ZElem, zAddDelta, zIncrDelta, zLive, zRemoveDelta } from './zset.js';
import { parseI64 } from './scalar.js';
import { typed } from './cmdCollections.js';
import { parseScore, replyScore } from './zrange.js';

export const ZERR = {
  notFloat: 'ERR value is not a valid float',
  nan: 'ERR resulting score is not a number (NaN)',
};

export function liveMember(rec: KeyRec | undefined, m: string): ZElem | undefined {
  const e = rec?.zset?.m.get(m);
  return e && zLive(e) ? e : undefined;
}

/** ZADD, and ZINCRBY as ZADD INCR. */
export function cmdZadd(ctx: CmdCtx, args: Buffer[], incrOnly = false): void {
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrOnly;
  let i = 2;
  if (!incrOnly) {
    for (; i < args.length; i++) {
      // options are letters; a score starts with a digit, a sign or '.' ('inf' is tried as an option first, harmlessly)
      const c0 = args[i]![0];
      if (c0 === undefined || (c0 >= 0x30 && c0 <= 0x39) || c0 === 0x2d || c0 === 0x2b || c0 === 0x2e) break;
      const o = lower(args[i]!);
      if (o === 'nx') nx = true;
      else if (o === 'xx') xx = true;
      else if (o === 'gt') gt = true;
      else if (o === 'lt') lt = true;
      else if (o === 'ch') ch = true;
      else if (o === 'incr') incr = true;
      else break;
    }
  }
  const n = args.length - i;
  if (n === 0 || n % 2 !== 0) return ctx.out.error(ERR.syntax);
  if (nx && xx) return ctx.out.error('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) return ctx.out.error('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && n > 2) return ctx.out.error('ERR INCR option supports a single increment-element pair');
  const pairs: Array<[number, string]> = [];
  for (let j = i; j < args.length; j += 2) {
    const s = parseScore(args[j]!);
    if (s === undefined) return ctx.out.error(ZERR.notFloat);
    pairs.push([s, keyOf(args[j + 1]!)]);
  }
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'zset', true);
  if (rec === null) return;
  const u = ctx.db.uuid(ctx.now);
  const node = ctx.db.node;
  // made on the first member that changes (a ZADD that changes nothing writes nothing)
  let m: Map<string, ZElem> | undefined;
  let added = 0, updated = 0;
  let result: number | undefined;
  for (const [s, mem] of pairs) {
    // a member given twice: the later pair sees the earlier one's effect
    const cur = m?.get(mem) ?? liveMember(rec, mem);
    if (cur) {
      if (nx) continue;
      const old = cur.sc;
      const next = incr ? old + s : s;
      if (Number.isNaN(next)) return ctx.out.error(ZERR.nan);
      if ((lt && next >= old) || (gt && next <= old)) continue;
      result = next;
      if (next === old && !incr) continue;
      if (next !== old) updated++;
      const d = incr && cur.b && !m?.has(mem) ? zIncrDelta(cur, node, u, s) : zAddDelta(mem, node, u, next);
      d.sc = next;
      (m ??= new Map()).set(mem, d);
    } else {
      if (xx) continue;
      added++;
      result = s;
      (m ??= new Map()).set(mem, zAddDelta(mem, node, u, s));
    }
  }
  if (m) {
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { zset: { m } });
  }
  if (incr) return result === undefined ? ctx.out.nil() : replyScore(ctx.out, liveMember(ctx.db.keys.get(key), pairs[0]![1])?.sc ?? result);
  ctx.out.int(ch ? added + updated : added);
}

export function cmdZrem(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'zset', true);
  if (rec === null) return;
  if (!rec) return ctx.out.int(0);
  const u = ctx.db.uuid(ctx.now);
  const m = new Map<string, ZElem>();
  for (let i = 2; i < args.length; i++) {
    const mem = keyOf(args[i]!);
    const e = liveMember(rec, mem);
    if (e && !m.has(mem)) m.set(mem, zRemoveDelta(e, ctx.db.node, u));
  }
  if (m.size > 0) {
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { zset: { m } });
  }
  ctx.out.int(m.size);
}

export function cmdZpop(ctx: CmdCtx, args: Buffer[], max: boolean): void {
  if (args.length > 3) return ctx.out.error(ERR.syntax);
  let count = 1;
  if (args.length === 3) {
    const c = parseI64(args[2]!);
    if (c === undefined || c < 0n) return ctx.out.error('ERR value is out of range, must be positive');
    count = Number(c);
  }
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'zset', true);
  if (rec === null) return;
  const seq = rec?.zset?.seq;
  const k = seq ? Math.min(count, seq.length) : 0;
  const picked: ZElem[] = [];
  for (let i = 0; i < k; i++) picked.push(seq!.at(max ? seq!.length - 1 - i : i));
  if (picked.length > 0) {
    const u = ctx.db.uuid(ctx.now);
    const m = new Map<string, ZElem>();
    for (const e of picked) m.set(e.k, zRemoveDelta(e, ctx.db.node, u));
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { zset: { m } });
  }
  // RESP3 with a count: an array of [member, score] pairs; otherwise flat
  const nested = ctx.out.proto === 3 && args.length === 3;
  ctx.out.arr(nested ? picked.length : picked.length * 2);
  for (const e of picked) {
    if (nested) ctx.out.arr(2);
    ctx.out.bulkLatin1(e.k);
    replyScore(ctx.out, e.sc);
  }
}

export function cmdZscore(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  const e = liveMember(rec, keyOf(args[2]!));
  if (e) replyScore(ctx.out, e.sc);
  else ctx.out.nil();
}

export function cmdZmscore(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  ctx.out.arr(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const e = liveMember(rec, keyOf(args[i]!));
    if (e) replyScore(ctx.out, e.sc);
    else ctx.out.nil();
  }
}

export function cmdZcard(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  ctx.out.int(rec?.zset?.seq?.length ?? 0);
}

export function cmdZrank(ctx: CmdCtx, args: Buffer[], rev: boolean): void {
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  const e = liveMember(rec, keyOf(args[2]!));
  if (!e) return ctx.out.nil();
  const seq = rec!.zset!.seq!;
  const i = seq.indexOf(e);
  ctx.out.int(rev ? seq.length - 1 - i : i);
}
