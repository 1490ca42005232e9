// BLPOP and BRPOP on one node (issue 22): pop from the first non-empty key like LPOP/RPOP;
// when every key is empty the client waits (the server shell holds it, see server/blocking.ts)
// until a push to one of the keys — local or replicated from a peer — or the timeout.
// Inside MULTI/EXEC an empty wait answers at once (nil), as in Redis. Each pop is an ordinary
// removal delta, so across nodes BLPOP has LPOP's concurrent rules.
import { type CmdCtx, ERR, keyOf } from './context.js';
import { keyType } from './keyrec.js';
import { lRemoveDelta } from './list.js';

const TIMEOUT_RE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Serves the pop if a key has elements now (reply written); false when all are empty. */
function tryPop(ctx: CmdCtx, keys: string[], left: boolean, now: number): boolean | 'wrongtype' {
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

export function cmdBpop(ctx: CmdCtx, args: Buffer[], left: boolean): void | Promise<void> {
  const t = args[args.length - 1]!.toString('latin1');
  const secs = TIMEOUT_RE.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(secs)) return ctx.out.error('ERR timeout is not a float or out of range');
  if (secs < 0) return ctx.out.error('ERR timeout is negative');
  const keys = args.slice(1, -1).map(keyOf);
  const r = tryPop(ctx, keys, left, ctx.now);
  if (r === 'wrongtype') return ctx.out.error(ERR.wrongType);
  if (r) return;
  if (ctx.sess.inExec || ctx.sess.multi || !ctx.server.block) return ctx.out.nilArray();
  return ctx.server.block(keys, Math.round(secs * 1000), (now) => {
    const again = tryPop(ctx, keys, left, now);
    if (again === 'wrongtype') {
      ctx.out.error(ERR.wrongType);
      return true;
    }
    return again;
  }, () => ctx.out.nilArray(), () => !ctx.sess.closed);
}
