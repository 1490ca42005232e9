// The common string and hash commands beyond the seed's (issue 22), built on the same
// deltas: SETNX SETEX PSETEX GETSET GETDEL APPEND STRLEN GETRANGE MSETNX, HMGET HSETNX
// HSTRLEN, SMISMEMBER. Across nodes they are the writes they are made of: APPEND and
// GETSET are SETs of the resulting value (last writer wins: two concurrent APPENDs keep one
// of the two results), SETNX/MSETNX/HSETNX decide on what this node has seen.
import { type CmdCtx, ERR, keyOf } from './context.js';
import { keyType, elemLive } from './keyrec.js';
import { scalarValue, scalarBytes, scalarLive, scalarSetDelta, parseI64, inI64 } from './scalar.js';
import { setDelta } from './cmdStrings.js';
import { typed } from './cmdCollections.js';

/** The string value of a key: Buffer, undefined if missing, null after replying WRONGTYPE. */
function stringOf(ctx: CmdCtx, key: string, write: boolean): Buffer | undefined | null {
  const rec = write ? ctx.db.forWrite(key, ctx.now) : ctx.db.lookup(key, ctx.now);
  if (!rec) return undefined;
  if (keyType(rec) !== 'string') {
    ctx.out.error(ERR.wrongType);
    return null;
  }
  const v = scalarValue(rec.str!);
  return v ? scalarBytes(v) : undefined;
}

export function cmdSetnx(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  if (ctx.db.forWrite(key, ctx.now)) return ctx.out.int(0);
  ctx.db.write(key, setDelta(ctx, undefined, args[2]!, 0n, false));
  ctx.out.int(1);
}

/** SETEX key seconds value / PSETEX key ms value. */
export function cmdSetex(ctx: CmdCtx, args: Buffer[], unitMs: number, name: string): void {
  const n = parseI64(args[2]!);
  if (n === undefined) return ctx.out.error(ERR.notInt);
  const ms = n * BigInt(unitMs);
  if (n <= 0n || !inI64(ms) || !inI64(ms + BigInt(ctx.now))) return ctx.out.error(ERR.invalidExpire(name));
  const key = keyOf(args[1]!);
  const rec = ctx.db.forWrite(key, ctx.now);
  ctx.db.write(key, setDelta(ctx, rec, args[3]!, ms + BigInt(ctx.now), false));
  ctx.out.ok();
}

export function cmdGetset(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const old = stringOf(ctx, key, true);
  if (old === null) return;
  ctx.db.write(key, setDelta(ctx, ctx.db.forWrite(key, ctx.now), args[2]!, 0n, false));
  if (old) ctx.out.bulk(old);
  else ctx.out.nil();
}

export function cmdGetdel(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const old = stringOf(ctx, key, true);
  if (old === null) return;
  if (old === undefined) return ctx.out.nil();
  ctx.db.del(key, ctx.db.keys.get(key)!, ctx.now);
  ctx.sess.lastWrite = ctx.db.clock.current;
  ctx.out.bulk(old);
}

export function cmdAppend(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const old = stringOf(ctx, key, true);
  if (old === null) return;
  const next = old ? Buffer.concat([old, args[2]!]) : Buffer.from(args[2]!);
  // APPEND keeps the key's TTL, like Redis
  ctx.db.write(key, setDelta(ctx, ctx.db.forWrite(key, ctx.now), next, 0n, true));
  ctx.out.int(next.length);
}

export function cmdStrlen(ctx: CmdCtx, args: Buffer[]): void {
  const v = stringOf(ctx, keyOf(args[1]!), false);
  if (v === null) return;
  ctx.out.int(v ? v.length : 0);
}

/** GETRANGE with Redis's index rules (negative from the end, clamped, empty when crossed). */
export function cmdGetrange(ctx: CmdCtx, args: Buffer[]): void {
  const s0 = parseI64(args[2]!);
  const e0 = parseI64(args[3]!);
  if (s0 === undefined || e0 === undefined) return ctx.out.error(ERR.notInt);
  const v = stringOf(ctx, keyOf(args[1]!), false);
  if (v === null) return;
  const len = BigInt(v?.length ?? 0);
  if (s0 < 0n && e0 < 0n && s0 > e0) return ctx.out.bulkLatin1('');
  let start = s0 < 0n ? len + s0 : s0;
  let end = e0 < 0n ? len + e0 : e0;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (!v || start > end || len === 0n) return ctx.out.bulkLatin1('');
  ctx.out.bulk(v.subarray(Number(start), Number(end) + 1));
}

export function cmdMsetnx(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length % 2 !== 1) return ctx.out.error(ERR.arity('msetnx'));
  for (let i = 1; i < args.length; i += 2) if (ctx.db.forWrite(keyOf(args[i]!), ctx.now)) return ctx.out.int(0);
  for (let i = 1; i < args.length; i += 2) {
    const key = keyOf(args[i]!);
    ctx.db.write(key, setDelta(ctx, ctx.db.forWrite(key, ctx.now), args[i + 1]!, 0n, false));
  }
  ctx.out.int(1);
}

export function cmdHmget(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'hash', false);
  if (rec === null) return;
  ctx.out.arr(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const s = rec?.hash?.get(keyOf(args[i]!));
    const v = s && scalarLive(s) ? scalarValue(s) : undefined;
    if (v) ctx.out.bulk(scalarBytes(v));
    else ctx.out.nil();
  }
}

export function cmdHsetnx(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'hash', true);
  if (rec === null) return;
  const f = keyOf(args[2]!);
  const cur = rec?.hash?.get(f);
  if (cur && scalarLive(cur)) return ctx.out.int(0);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { hash: new Map([[f, scalarSetDelta(cur, ctx.db.node, u, Buffer.from(args[3]!))]]) });
  ctx.out.int(1);
}

export function cmdHstrlen(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'hash', false);
  if (rec === null) return;
  const s = rec?.hash?.get(keyOf(args[2]!));
  const v = s && scalarLive(s) ? scalarValue(s) : undefined;
  ctx.out.int(v ? scalarBytes(v).length : 0);
}

export function cmdSmismember(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'set', false);
  if (rec === null) return;
  ctx.out.arr(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const e = rec?.set?.get(keyOf(args[i]!));
    ctx.out.int(e && elemLive(e) ? 1 : 0);
  }
}
