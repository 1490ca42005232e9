// Blocking pops on one node (issue 22): BLPOP BRPOP BLMOVE BRPOPLPUSH BZPOPMIN BZPOPMAX.
// Each first tries what its non-blocking form would do (LPOP/RPOP, LMOVE, ZPOPMIN/ZPOPMAX on
// the first non-empty key); when every key is empty the client waits (the server shell holds
// it, see server/blocking.ts) until a write to one of the keys — local or replicated from a
// peer — or the timeout (a null array, as Redis 7.0 answers every timed-out blocking pop).
// Inside MULTI/EXEC an empty wait answers at once, as in Redis. Each pop is an ordinary
// removal delta, so across nodes a blocking pop has its non-blocking form's concurrent rules.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { keyType } from './keyrec.js';
import { lRemoveDelta } from './list.js';
import { zRemoveDelta } from './zset.js';
import { replyScore } from './zrange.js';
import { cmdLmove } from './cmdList.js';

const TIMEOUT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** served (reply written), nothing to pop yet, or a key of another type */
type Attempt = boolean | 'wrongtype';

/** Pops from the first non-empty list key; reply [key, value]. */
function tryListPop(ctx: CmdCtx, keys: string[], left: boolean, now: number): Attempt {
  for (const key of keys) {
    const rec = ctx.db.forWrite(key, now);
    if (!rec) continue;
    if (keyType(rec) !== 'list') return 'wrongtype';
    const seq = rec.list!.seq!;
    const e = left ? seq.first()! : seq.last()!;
    const v = e.v!; // read before the removal joins (it drops the value)
    const u = ctx.db.uuid(now);
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { list: { m: new Map([[e.id, lRemoveDelta(e, ctx.db.node, u)]]) } });
    ctx.out.arr(2);
    ctx.out.bulkLatin1(key);
    ctx.out.bulk(v);
    return true;
  }
  return false;
}

/** Pops the lowest (or highest) member of the first non-empty sorted set; reply [key, member, score]. */
function tryZpop(ctx: CmdCtx, keys: string[], max: boolean, now: number): Attempt {
  for (const key of keys) {
    const rec = ctx.db.forWrite(key, now);
    if (!rec) continue;
    if (keyType(rec) !== 'zset') return 'wrongtype';
    const seq = rec.zset!.seq!;
    const e = seq.at(max ? seq.length - 1 : 0);
    const u = ctx.db.uuid(now);
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { zset: { m: new Map([[e.k, zRemoveDelta(e, ctx.db.node, u)]]) } });
    ctx.out.arr(3);
    ctx.out.bulkLatin1(key);
    ctx.out.bulkLatin1(e.k);
    replyScore(ctx.out, e.sc);
    return true;
  }
  return false;
}

/** BLMOVE's try: LMOVE when the source has an element (its own type checks and reply). */
function tryMove(ctx: CmdCtx, args: Buffer[], src: string, fromLeft: boolean, toLeft: boolean, now: number): Attempt {
  const rec = ctx.db.lookup(src, now);
  if (!rec) return false;
  if (keyType(rec) !== 'list') return 'wrongtype';
  cmdLmove(now === ctx.now ? ctx : { ...ctx, now }, [args[0]!, args[1]!, args[2]!], fromLeft, toLeft);
  return true;
}

function parseTimeout(ctx: CmdCtx, arg: Buffer): number | undefined {
  const t = arg.toString('latin1');
  const secs = TIMEOUT_RE.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(secs)) return void ctx.out.error('ERR timeout is not a float or out of range');
  if (secs < 0) return void ctx.out.error('ERR timeout is negative');
  return Math.round(secs * 1000);
}

/** Try now; else hold the client on `keys` until `attempt` succeeds or the timeout. */
function blockOn(ctx: CmdCtx, keys: string[], ms: number, attempt: (now: number) => Attempt, nilBulkInMulti = false): void | Promise<void> {
  const r = attempt(ctx.now);
  if (r === 'wrongtype') return ctx.out.error(ERR.wrongType);
  if (r) return;
  // Redis 7.0 answers an empty BLMOVE inside MULTI with a null bulk, the others with a null array
  if (ctx.sess.inExec || ctx.sess.multi || !ctx.server.block) return nilBulkInMulti ? ctx.out.nil() : ctx.out.nilArray();
  return ctx.server.block(keys, ms, (now) => {
    const again = attempt(now);
    if (again === 'wrongtype') {
      ctx.out.error(ERR.wrongType);
      return true;
    }
    return again;
  }, () => ctx.out.nilArray(), () => !ctx.sess.closed);
}

/** BLPOP / BRPOP key [key ...] timeout */
export function cmdBpop(ctx: CmdCtx, args: Buffer[], left: boolean): void | Promise<void> {
  const ms = parseTimeout(ctx, args[args.length - 1]!);
  if (ms === undefined) return;
  const keys = args.slice(1, -1).map(keyOf);
  return blockOn(ctx, keys, ms, (now) => tryListPop(ctx, keys, left, now));
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout */
export function cmdBzpop(ctx: CmdCtx, args: Buffer[], max: boolean): void | Promise<void> {
  const ms = parseTimeout(ctx, args[args.length - 1]!);
  if (ms === undefined) return;
  const keys = args.slice(1, -1).map(keyOf);
  return blockOn(ctx, keys, ms, (now) => tryZpop(ctx, keys, max, now));
}

function side(b: Buffer): boolean | undefined {
  const s = lower(b);
  return s === 'left' ? true : s === 'right' ? false : undefined;
}

/** BLMOVE src dst LEFT|RIGHT LEFT|RIGHT timeout, and BRPOPLPUSH src dst timeout */
export function cmdBlmove(ctx: CmdCtx, args: Buffer[], rpoplpush: boolean): void | Promise<void> {
  let fromLeft = false;
  let toLeft = true;
  if (!rpoplpush) {
    const f = side(args[3]!);
    const t = side(args[4]!);
    if (f === undefined || t === undefined) return ctx.out.error(ERR.syntax);
    fromLeft = f;
    toLeft = t;
  }
  const ms = parseTimeout(ctx, args[args.length - 1]!);
  if (ms === undefined) return;
  const src = keyOf(args[1]!);
  return blockOn(ctx, [src], ms, (now) => tryMove(ctx, args, src, fromLeft, toLeft, now), true);
}
