// List commands (issue 22) over the sequence CRDT of list.ts: every command reads the
// node's current order and writes element deltas (new positioned elements, removals of the
// ids it picked, LSET registers), never index-based ops, so replicas converge whatever
// order the deltas arrive in. LMOVE/RPOPLPUSH are a removal of the picked id plus a new
// element in the destination (two nodes moving the same element both insert it).
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type KeyRec } from './keyrec.js';
import { type LElem, type ListPart, newElem, pushElems, lRemoveDelta, lSetDelta } from './list.js';
import { parseI64 } from './scalar.js';
import { optionalCount, typed } from './cmdCollections.js';

const seqOf = (rec: KeyRec | undefined) => rec?.list?.seq;

function intArg(ctx: CmdCtx, b: Buffer): number | undefined {
  const n = parseI64(b);
  if (n === undefined) {
    ctx.out.error(ERR.notInt);
    return undefined;
  }
  return Number(n);
}

/** Pushes args[from..] at the head (left) or tail one after another; returns the delta. */
function pushDelta(ctx: CmdCtx, rec: KeyRec | undefined, args: Buffer[], from: number, left: boolean): ListPart {
  const seq = seqOf(rec);
  const k = args.length - from;
  const us = new Array<bigint>(k);
  const vals = new Array<Buffer>(k);
  for (let i = 0; i < k; i++) {
    us[i] = ctx.db.uuid(ctx.now);
    vals[i] = Buffer.from(args[i + from]!);
  }
  ctx.sess.lastWrite = us[k - 1]!;
  const m = new Map<string, LElem>();
  const elems = pushElems(left ? seq?.first() : seq?.last(), left, us, ctx.db.node, vals);
  for (let i = 0; i < k; i++) m.set(elems[i]!.id, elems[i]!);
  return { m };
}

export function cmdPush(ctx: CmdCtx, args: Buffer[], left: boolean, onlyIfExists: boolean): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (onlyIfExists && !rec) return ctx.out.int(0);
  const before = seqOf(rec)?.length ?? 0;
  ctx.db.write(key, { list: pushDelta(ctx, rec, args, 2, left) });
  ctx.out.int(before + args.length - 2);
}

/** Removes up to `count` elements from one end; returns their values. */
function popFrom(ctx: CmdCtx, key: string, rec: KeyRec, count: number, left: boolean): Buffer[] {
  const seq = rec.list!.seq!;
  const n = Math.min(count, seq.length);
  const u = ctx.db.uuid(ctx.now);
  const m = new Map<string, LElem>();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const e = seq.at(left ? i : seq.length - 1 - i);
    out.push(e.v!);
    m.set(e.id, lRemoveDelta(e, ctx.db.node, u));
  }
  if (n > 0) {
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { list: { m } });
  }
  return out;
}

export function cmdPop(ctx: CmdCtx, args: Buffer[], left: boolean): void {
  if (args.length > 3) return ctx.out.error(ERR.arity(lower(args[0]!)));
  const count = optionalCount(ctx, args);
  if (count === null) return;
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (!rec) return count < 0 ? ctx.out.nil() : ctx.out.nilArray();
  const vals = popFrom(ctx, key, rec, count < 0 ? 1 : count, left);
  if (count < 0) return ctx.out.bulk(vals[0]!);
  ctx.out.arr(vals.length);
  for (const v of vals) ctx.out.bulk(v);
}

export function cmdLlen(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'list', false);
  if (rec === null) return;
  ctx.out.int(seqOf(rec)?.length ?? 0);
}

/** Redis's range normalisation: [start, end] inclusive, or undefined when empty. */
function range(start: number, end: number, len: number): [number, number] | undefined {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return undefined;
  if (end >= len) end = len - 1;
  return [start, end];
}

export function cmdLrange(ctx: CmdCtx, args: Buffer[]): void {
  const start = parseI64(args[2]!);
  const end = parseI64(args[3]!);
  if (start === undefined || end === undefined) return ctx.out.error(ERR.notInt);
  const rec = typed(ctx, keyOf(args[1]!), 'list', false);
  if (rec === null) return;
  const seq = seqOf(rec);
  const r = seq ? range(Number(start), Number(end), seq.length) : undefined;
  if (!r) return ctx.out.arr(0);
  ctx.out.arr(r[1] - r[0] + 1);
  for (let i = r[0]; i <= r[1]; i++) ctx.out.bulk(seq!.at(i).v!);
}

function indexAt(len: number, i: number): number {
  return i < 0 ? len + i : i;
}

export function cmdLindex(ctx: CmdCtx, args: Buffer[]): void {
  // Redis's order: missing key (nil), wrong type, then the index
  const rec = typed(ctx, keyOf(args[1]!), 'list', false);
  if (rec === null) return;
  if (!rec) return ctx.out.nil();
  const i = intArg(ctx, args[2]!);
  if (i === undefined) return;
  const seq = seqOf(rec)!;
  const at = indexAt(seq.length, i);
  if (at < 0 || at >= seq.length) return ctx.out.nil();
  ctx.out.bulk(seq.at(at).v!);
}

export function cmdLset(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (!rec) return ctx.out.error('ERR no such key');
  const i = intArg(ctx, args[2]!);
  if (i === undefined) return;
  const seq = seqOf(rec)!;
  const at = indexAt(seq.length, i);
  if (at < 0 || at >= seq.length) return ctx.out.error('ERR index out of range');
  const e = seq.at(at);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { list: { m: new Map([[e.id, lSetDelta(e, ctx.db.node, u, Buffer.from(args[3]!))]]) } });
  ctx.out.ok();
}

function removeIds(ctx: CmdCtx, key: string, picked: LElem[]): void {
  if (picked.length === 0) return;
  const u = ctx.db.uuid(ctx.now);
  const m = new Map<string, LElem>();
  for (const e of picked) m.set(e.id, lRemoveDelta(e, ctx.db.node, u));
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { list: { m } });
}

export function cmdLrem(ctx: CmdCtx, args: Buffer[]): void {
  const count = intArg(ctx, args[2]!);
  if (count === undefined) return;
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (!rec) return ctx.out.int(0);
  const seq = seqOf(rec)!;
  const want = args[3]!;
  const picked: LElem[] = [];
  const max = count === 0 ? Infinity : Math.abs(count);
  for (let k = 0; k < seq.length && picked.length < max; k++) {
    const e = seq.at(count < 0 ? seq.length - 1 - k : k);
    if (e.v!.equals(want)) picked.push(e);
  }
  removeIds(ctx, key, picked);
  ctx.out.int(picked.length);
}

export function cmdLtrim(ctx: CmdCtx, args: Buffer[]): void {
  const start = parseI64(args[2]!);
  const end = parseI64(args[3]!);
  if (start === undefined || end === undefined) return ctx.out.error(ERR.notInt);
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (!rec) return ctx.out.ok();
  const seq = seqOf(rec)!;
  const r = range(Number(start), Number(end), seq.length);
  const picked: LElem[] = [];
  for (let i = 0; i < seq.length; i++) if (!r || i < r[0] || i > r[1]) picked.push(seq.at(i));
  removeIds(ctx, key, picked);
  ctx.out.ok();
}

export function cmdLinsert(ctx: CmdCtx, args: Buffer[]): void {
  const where = lower(args[2]!);
  if (where !== 'before' && where !== 'after') return ctx.out.error(ERR.syntax);
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'list', true);
  if (rec === null) return;
  if (!rec) return ctx.out.int(0);
  const seq = seqOf(rec)!;
  let i = 0;
  while (i < seq.length && !seq.at(i).v!.equals(args[3]!)) i++;
  if (i === seq.length) return ctx.out.int(-1);
  const prev = where === 'before' ? (i > 0 ? seq.at(i - 1) : undefined) : seq.at(i);
  const next = where === 'before' ? seq.at(i) : i + 1 < seq.length ? seq.at(i + 1) : undefined;
  const u = ctx.db.uuid(ctx.now);
  const e = newElem(prev, next, u, ctx.db.node, Buffer.from(args[4]!));
  ctx.sess.lastWrite = u;
  const len = seq.length + 1;
  ctx.db.write(key, { list: { m: new Map([[e.id, e]]) } });
  ctx.out.int(len);
}

export function cmdLpos(ctx: CmdCtx, args: Buffer[]): void {
  let rank = 1;
  let count: number | undefined;
  let maxlen = 0;
  for (let i = 3; i < args.length; i++) {
    const o = lower(args[i]!);
    if (i + 1 >= args.length || (o !== 'rank' && o !== 'count' && o !== 'maxlen')) return ctx.out.error(ERR.syntax);
    const n = parseI64(args[++i]!);
    // COUNT and MAXLEN answer any bad number with their own message, as Redis does
    if (n === undefined) return ctx.out.error(o === 'rank' ? ERR.notInt : o === 'count' ? "ERR COUNT can't be negative" : "ERR MAXLEN can't be negative");
    if (o === 'rank') {
      if (n === 0n) return ctx.out.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      if (n === -(1n << 63n)) return ctx.out.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
      rank = Number(n);
    } else if (o === 'count') {
      if (n < 0n) return ctx.out.error("ERR COUNT can't be negative");
      count = Number(n);
    } else {
      if (n < 0n) return ctx.out.error("ERR MAXLEN can't be negative");
      maxlen = Number(n);
    }
  }
  const rec = typed(ctx, keyOf(args[1]!), 'list', false);
  if (rec === null) return;
  const seq = seqOf(rec);
  const found: number[] = [];
  const want = count === undefined ? 1 : count === 0 ? Infinity : count;
  if (seq) {
    let skip = Math.abs(rank) - 1;
    const len = seq.length;
    for (let k = 0; k < len && (maxlen === 0 || k < maxlen) && found.length < want; k++) {
      const i = rank > 0 ? k : len - 1 - k;
      if (!seq.at(i).v!.equals(args[2]!)) continue;
      if (skip > 0) skip--;
      else found.push(i);
    }
  }
  if (count === undefined) return found.length ? ctx.out.int(found[0]!) : ctx.out.nil();
  ctx.out.arr(found.length);
  for (const i of found) ctx.out.int(i);
}

function side(b: Buffer): boolean | undefined {
  const s = lower(b);
  return s === 'left' ? true : s === 'right' ? false : undefined;
}

/** LMOVE src dst LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH (from = right, to = left). */
export function cmdLmove(ctx: CmdCtx, args: Buffer[], fromLeft?: boolean, toLeft?: boolean): void {
  if (fromLeft === undefined) {
    fromLeft = side(args[3]!);
    toLeft = side(args[4]!);
    if (fromLeft === undefined || toLeft === undefined) return ctx.out.error(ERR.syntax);
  }
  const src = keyOf(args[1]!);
  const dst = keyOf(args[2]!);
  const rec = typed(ctx, src, 'list', true);
  if (rec === null) return;
  if (!rec) return ctx.out.nil();
  const drec = src === dst ? rec : typed(ctx, dst, 'list', true);
  if (drec === null) return;
  const [v] = popFrom(ctx, src, rec, 1, fromLeft);
  // the destination is read after the pop: a rotation (src = dst) sees the list without v
  const now = ctx.db.lookup(dst, ctx.now);
  ctx.db.write(dst, { list: pushDelta(ctx, now, [v!], 0, toLeft!) });
  ctx.out.bulk(v!);
}
