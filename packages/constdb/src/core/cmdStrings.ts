// String and counter commands: GET SET MGET MSET INCR DECR INCRBY DECRBY.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { keyType, keyClearDelta, type KeyRec } from './keyrec.js';
import {
  scalarValue, scalarBytes, scalarInt, scalarSetOnto, scalarClearDelta, scalarIncrDelta, parseI64, inI64, vv1,
} from './scalar.js';

export function cmdGet(ctx: CmdCtx, args: Buffer[]): void {
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (!rec) return ctx.out.nil();
  // lookup found a live type: with no other part than the string, it is the string
  if ((rec.set || rec.hash || rec.list || rec.zset) && keyType(rec) !== 'string') return ctx.out.error(ERR.wrongType);
  const v = scalarValue(rec.str!);
  if (!v) return ctx.out.nil();
  if (v.bytes) ctx.out.bulk(v.bytes);
  else ctx.out.bulkLatin1(v.int!.toString());
}

/** SET as a delta: removes everything observed (any type, the TTL) and writes the register. */
export function setDelta(ctx: CmdCtx, rec: KeyRec | undefined, value: Buffer, expireAt: bigint, keepTtl: boolean): KeyRec {
  const u = ctx.db.uuid(ctx.now);
  const node = ctx.db.node;
  const d: KeyRec = rec ? keyClearDelta(rec, node, u - 1n) : {};
  if (keepTtl) delete d.exp;
  // keyClearDelta already cleared a live string: reuse that clear instead of making it twice
  d.str = scalarSetOnto(d.str ?? (rec?.str ? scalarClearDelta(rec.str, node, u - 1n) : {}), node, u, Buffer.from(value));
  if (expireAt > 0n) {
    d.exp = { e: new Map([[node, { u, at: expireAt }]]), clr: d.exp?.clr ?? vv1(node, u - 1n) };
  }
  ctx.sess.lastWrite = u;
  return d;
}

export function cmdSet(ctx: CmdCtx, args: Buffer[]): void {
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  // like Redis 7: an expire option may repeat (the last one counts, only it is validated),
  // but two different ones, or one with KEEPTTL, are a syntax error
  let expOpt: string | undefined;
  let expArg: Buffer | undefined;
  for (let i = 3; i < args.length; i++) {
    const opt = lower(args[i]!);
    if (opt === 'nx' && !xx) nx = true;
    else if (opt === 'xx' && !nx) xx = true;
    else if (opt === 'get') get = true;
    else if (opt === 'keepttl' && !expOpt) keepTtl = true;
    else if ((opt === 'ex' || opt === 'px' || opt === 'exat' || opt === 'pxat') && (!expOpt || expOpt === opt) && !keepTtl && i + 1 < args.length) {
      expOpt = opt;
      expArg = args[++i]!;
    } else return ctx.out.error(ERR.syntax);
  }
  let expireAt = 0n;
  if (expOpt) {
    const n = parseI64(expArg!);
    if (n === undefined) return ctx.out.error(ERR.notInt);
    const secs = expOpt === 'ex' || expOpt === 'exat';
    if (n <= 0n || (secs && !inI64(n * 1000n))) return ctx.out.error(ERR.invalidExpire('set'));
    const ms = secs ? n * 1000n : n;
    const relative = expOpt === 'ex' || expOpt === 'px';
    if (relative && !inI64(ms + BigInt(ctx.now))) return ctx.out.error(ERR.invalidExpire('set'));
    expireAt = relative ? ms + BigInt(ctx.now) : ms;
  }
  const key = keyOf(args[1]!);
  const rec = ctx.db.forWrite(key, ctx.now);
  let old: Buffer | null = null;
  if (get && rec) {
    if (keyType(rec) !== 'string') return ctx.out.error(ERR.wrongType);
    const v = scalarValue(rec.str!);
    if (v) old = scalarBytes(v);
  }
  if ((nx && rec) || (xx && !rec)) return get ? (old ? ctx.out.bulk(old) : ctx.out.nil()) : ctx.out.nil();
  // an already-passed absolute expiry deletes the key, like Redis
  if (expireAt > 0n && expireAt <= ctx.now) {
    if (rec) ctx.db.del(key, rec, ctx.now);
  } else {
    ctx.db.write(key, setDelta(ctx, rec, args[2]!, expireAt, keepTtl));
  }
  if (get) return old ? ctx.out.bulk(old) : ctx.out.nil();
  ctx.out.ok();
}

export function cmdMget(ctx: CmdCtx, args: Buffer[]): void {
  ctx.out.arr(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const rec = ctx.db.lookup(keyOf(args[i]!), ctx.now);
    const v = rec && keyType(rec) === 'string' ? scalarValue(rec.str!) : undefined;
    if (v) ctx.out.bulk(scalarBytes(v));
    else ctx.out.nil();
  }
}

export function cmdMset(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length % 2 !== 1) return ctx.out.error(ERR.arity('mset'));
  for (let i = 1; i < args.length; i += 2) {
    const key = keyOf(args[i]!);
    const rec = ctx.db.forWrite(key, ctx.now);
    ctx.db.write(key, setDelta(ctx, rec, args[i + 1]!, 0n, false));
  }
  ctx.out.ok();
}

function incrBy(ctx: CmdCtx, keyArg: Buffer, by: bigint): void {
  const key = keyOf(keyArg);
  const rec = ctx.db.forWrite(key, ctx.now);
  let cur = 0n;
  if (rec) {
    if (keyType(rec) !== 'string') return ctx.out.error(ERR.wrongType);
    const v = scalarValue(rec.str!);
    const n = v ? scalarInt(v) : 0n;
    if (n === undefined) return ctx.out.error(ERR.notInt);
    cur = n;
  }
  const next = cur + by;
  if (!inI64(next)) return ctx.out.error(ERR.overflow);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  // the raw record (maybe only a tombstone): this node's counter continues from what it cleared
  ctx.db.write(key, { str: scalarIncrDelta(ctx.db.keys.get(key)?.str, ctx.db.node, ctx.db.epoch, u, by) });
  ctx.out.int(next);
}

export function cmdIncr(ctx: CmdCtx, args: Buffer[]): void {
  incrBy(ctx, args[1]!, 1n);
}

export function cmdDecr(ctx: CmdCtx, args: Buffer[]): void {
  incrBy(ctx, args[1]!, -1n);
}

export function cmdIncrby(ctx: CmdCtx, args: Buffer[]): void {
  const by = parseI64(args[2]!);
  if (by === undefined) return ctx.out.error(ERR.notInt);
  incrBy(ctx, args[1]!, by);
}

export function cmdDecrby(ctx: CmdCtx, args: Buffer[]): void {
  const by = parseI64(args[2]!);
  if (by === undefined) return ctx.out.error(ERR.notInt);
  if (by === -(1n << 63n)) return ctx.out.error('ERR decrement would overflow');
  incrBy(ctx, args[1]!, -by);
}
