// RENAME RENAMENX COPY (issue 22). Across nodes the destination is overwritten like SET: the
// write removes what this node had observed of it and writes the source's *visible* value
// with one new dot (a string as a register, a set's members, a hash's fields as registers —
// counter histories are not carried, their current values are), plus the source's TTL.
// RENAME then deletes the source (observed-remove, like DEL). A concurrent write to the
// destination on another node that this node had not seen survives, as for SET.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type Elem, type KeyRec, elemLive, expiryAt, keyClearDelta, keyType } from './keyrec.js';
import { scalarBytes, scalarLive, scalarSetDelta, scalarValue } from './scalar.js';
import { type LElem, newElem } from './list.js';
import { type ZElem, zAddDelta } from './zset.js';

function overwriteDelta(ctx: CmdCtx, src: KeyRec, dst: KeyRec | undefined): KeyRec {
  const node = ctx.db.node;
  const u = ctx.db.uuid(ctx.now);
  const d: KeyRec = dst ? keyClearDelta(dst, node, u - 1n) : {};
  const t = keyType(src);
  if (t === 'string') {
    d.str = scalarSetDelta(dst?.str, node, u, Buffer.from(scalarBytes(scalarValue(src.str!)!)));
  } else if (t === 'set') {
    const set = d.set ?? new Map<string, Elem>();
    for (const [m, e] of src.set!) {
      if (!elemLive(e)) continue;
      const rm = set.get(m)?.rm;
      set.set(m, rm ? { add: new Map([[node, u]]), rm } : { add: new Map([[node, u]]) });
    }
    d.set = set;
  } else if (t === 'hash') {
    const hash = d.hash ?? new Map();
    for (const [f, s] of src.hash!) if (scalarLive(s)) hash.set(f, scalarSetDelta(dst?.hash?.get(f), node, u, Buffer.from(scalarBytes(scalarValue(s)!))));
    d.hash = hash;
  } else if (t === 'list') {
    // fresh elements in the source's order (new ids: the copy is a new sequence)
    const m = d.list?.m ?? new Map<string, LElem>();
    let prev: LElem | undefined;
    for (const e of src.list!.seq!) {
      const x = newElem(prev, undefined, ctx.db.uuid(ctx.now), node, Buffer.from(e.v!));
      m.set(x.id, x);
      prev = x;
    }
    d.list = { m };
  } else if (t === 'zset') {
    const m = d.zset?.m ?? new Map<string, ZElem>();
    for (const e of src.zset!.seq!) {
      const x = zAddDelta(e.k, node, u, e.sc);
      const rm = m.get(e.k)?.rm;
      if (rm) x.rm = rm;
      m.set(e.k, x);
    }
    d.zset = { m };
  }
  const at = expiryAt(src.exp);
  if (at > 0n) d.exp = { e: new Map([[node, { u, at }]]), clr: d.exp?.clr ?? new Map([[node, u - 1n]]) };
  ctx.sess.lastWrite = ctx.db.clock.current;
  return d;
}

export function cmdRename(ctx: CmdCtx, args: Buffer[], nx: boolean): void {
  const from = keyOf(args[1]!);
  const to = keyOf(args[2]!);
  const src = ctx.db.forWrite(from, ctx.now);
  if (!src) return ctx.out.error('ERR no such key');
  if (from === to) return nx ? ctx.out.int(0) : ctx.out.ok();
  const dst = ctx.db.forWrite(to, ctx.now);
  if (nx && dst) return ctx.out.int(0);
  ctx.db.write(to, overwriteDelta(ctx, src, dst));
  ctx.db.del(from, src, ctx.now);
  if (nx) ctx.out.int(1);
  else ctx.out.ok();
}

export function cmdCopy(ctx: CmdCtx, args: Buffer[]): void {
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const o = lower(args[i]!);
    if (o === 'replace') replace = true;
    else if (o === 'db' && i + 1 < args.length) {
      if (args[++i]!.toString('latin1') !== '0') return ctx.out.error('ERR DB index is out of range');
    } else return ctx.out.error(ERR.syntax);
  }
  const from = keyOf(args[1]!);
  const to = keyOf(args[2]!);
  if (from === to) return ctx.out.error('ERR source and destination objects are the same');
  const src = ctx.db.forWrite(from, ctx.now);
  if (!src) return ctx.out.int(0);
  const dst = ctx.db.forWrite(to, ctx.now);
  if (dst && !replace) return ctx.out.int(0);
  ctx.db.write(to, overwriteDelta(ctx, src, dst));
  ctx.out.int(1);
}
