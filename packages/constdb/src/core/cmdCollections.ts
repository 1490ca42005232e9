// Set and hash commands. Sets are add-wins observed-remove sets; hash fields are
// add-wins entries holding a string/counter scalar each. SPOP replicates its effect
// (the removal of the members it picked), never the command.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type KeyRec, type KeyType, type Elem, elemLive, elemRemoveDelta, keyType } from './keyrec.js';
import { elemAdd1 } from './setElem.js';
import {
  type Scalar, scalarLive, scalarValue, scalarBytes, scalarInt, scalarSetDelta, scalarIncrDelta, scalarClearDelta, parseI64, inI64,
} from './scalar.js';

function liveMembers(rec: KeyRec): string[] {
  const out: string[] = [];
  if (rec.set) for (const [m, e] of rec.set) if (elemLive(e)) out.push(m);
  return out;
}

function liveFields(rec: KeyRec): Array<[string, Scalar]> {
  const out: Array<[string, Scalar]> = [];
  if (rec.hash) for (const [f, s] of rec.hash) if (scalarLive(s)) out.push([f, s]);
  return out;
}

/** The record if it holds `type` (undefined if missing); null after replying WRONGTYPE. */
/** The optional count of SPOP/LPOP/RPOP (args[2]): -1 when absent, null once an error was answered. */
export function optionalCount(ctx: CmdCtx, args: Buffer[]): number | null {
  if (args.length < 3) return -1;
  const n = parseI64(args[2]!);
  if (n === undefined || n < 0n) {
    ctx.out.error('ERR value is out of range, must be positive');
    return null;
  }
  return Number(n);
}

/** A *STORE whose result is empty: dst is deleted (replicated like any DEL) and the reply is 0. */
export function storeEmpty(ctx: CmdCtx, dst: string, rec: KeyRec | undefined): void {
  if (rec) {
    ctx.db.del(dst, rec, ctx.now);
    ctx.sess.lastWrite = ctx.db.clock.current;
  }
  ctx.out.int(0);
}

export function typed(ctx: CmdCtx, key: string, type: KeyType, write: boolean): KeyRec | undefined | null {
  const rec = write ? ctx.db.forWrite(key, ctx.now) : ctx.db.lookup(key, ctx.now);
  if (rec && keyType(rec) !== type) {
    ctx.out.error(ERR.wrongType);
    return null;
  }
  return rec;
}

export function cmdSadd(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'set', true);
  if (rec === null) return;
  const u = ctx.db.uuid(ctx.now);
  const node = ctx.db.node;
  const d = new Map<string, Elem>();
  let added = 0;
  for (let i = 2; i < args.length; i++) {
    const m = keyOf(args[i]!);
    if (d.has(m)) continue;
    const e = rec?.set?.get(m);
    if (!e || !elemLive(e)) added++;
    d.set(m, elemAdd1(node, u));
  }
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { set: d });
  ctx.out.int(added);
}

export function cmdSrem(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'set', true);
  if (rec === null) return;
  if (!rec) return ctx.out.int(0);
  const u = ctx.db.uuid(ctx.now);
  const d = new Map<string, Elem>();
  for (let i = 2; i < args.length; i++) {
    const m = keyOf(args[i]!);
    const e = rec.set?.get(m);
    if (e && elemLive(e) && !d.has(m)) d.set(m, elemRemoveDelta(e, ctx.db.node, u));
  }
  if (d.size > 0) {
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { set: d });
  }
  ctx.out.int(d.size);
}

export function cmdSpop(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 3) return ctx.out.error(ERR.syntax);
  const count = optionalCount(ctx, args);
  if (count === null) return;
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'set', true);
  if (rec === null) return;
  if (!rec) return count < 0 ? ctx.out.nil() : ctx.out.set(0);
  const members = liveMembers(rec);
  const want = count < 0 ? 1 : Math.min(count, members.length);
  // pick `want` members at random (partial Fisher-Yates)
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(Math.random() * (members.length - i));
    const t = members[i]!;
    members[i] = members[j]!;
    members[j] = t;
  }
  const picked = members.slice(0, want);
  if (picked.length > 0) {
    const u = ctx.db.uuid(ctx.now);
    const d = new Map<string, Elem>();
    for (const m of picked) d.set(m, elemRemoveDelta(rec.set!.get(m)!, ctx.db.node, u));
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { set: d });
  }
  if (count < 0) return ctx.out.bulkLatin1(picked[0]!);
  ctx.out.set(picked.length);
  for (const m of picked) ctx.out.bulkLatin1(m);
}

export function cmdSmembers(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'set', false);
  if (rec === null) return;
  const ms = rec ? liveMembers(rec) : [];
  ctx.out.set(ms.length);
  for (const m of ms) ctx.out.bulkLatin1(m);
}

export function cmdScard(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'set', false);
  if (rec === null) return;
  ctx.out.int(rec ? liveMembers(rec).length : 0);
}

export function cmdSismember(ctx: CmdCtx, args: Buffer[]): void {
  const rec = typed(ctx, keyOf(args[1]!), 'set', false);
  if (rec === null) return;
  const e = rec?.set?.get(keyOf(args[2]!));
  ctx.out.int(e && elemLive(e) ? 1 : 0);
}

export function cmdHset(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length % 2 !== 0) return ctx.out.error(ERR.arity(lower(args[0]!)));
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'hash', true);
  if (rec === null) return;
  const u = ctx.db.uuid(ctx.now);
  const node = ctx.db.node;
  const d = new Map<string, Scalar>();
  let added = 0;
  for (let i = 2; i < args.length; i += 2) {
    const f = keyOf(args[i]!);
    const cur = rec?.hash?.get(f);
    if (!d.has(f) && !(cur && scalarLive(cur))) added++;
    d.set(f, scalarSetDelta(cur, node, u, Buffer.from(args[i + 1]!)));
  }
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { hash: d });
  // HSET and HMSET share this handler: the name's length tells them apart without lower-casing it
  if (args[0]!.length === 5) ctx.out.ok();
  else ctx.out.int(added);
}

function field(ctx: CmdCtx, args: Buffer[]): Scalar | undefined | null {
  const rec = typed(ctx, keyOf(args[1]!), 'hash', false);
  if (rec === null) return null;
  const s = rec?.hash?.get(keyOf(args[2]!));
  return s && scalarLive(s) ? s : undefined;
}

export function cmdHget(ctx: CmdCtx, args: Buffer[]): void {
  const s = field(ctx, args);
  if (s === null) return;
  const v = s ? scalarValue(s) : undefined;
  if (v) ctx.out.bulk(scalarBytes(v));
  else ctx.out.nil();
}

export function cmdHexists(ctx: CmdCtx, args: Buffer[]): void {
  const s = field(ctx, args);
  if (s === null) return;
  ctx.out.int(s ? 1 : 0);
}

export function cmdHgetall(ctx: CmdCtx, args: Buffer[], part: 'all' | 'keys' | 'vals' | 'len' = 'all'): void {
  const rec = typed(ctx, keyOf(args[1]!), 'hash', false);
  if (rec === null) return;
  const fs = rec ? liveFields(rec) : [];
  if (part === 'len') return ctx.out.int(fs.length);
  if (part === 'all') ctx.out.map(fs.length);
  else ctx.out.arr(fs.length);
  for (const [f, s] of fs) {
    if (part !== 'vals') ctx.out.bulkLatin1(f);
    if (part !== 'keys') ctx.out.bulk(scalarBytes(scalarValue(s)!));
  }
}

export function cmdHdel(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'hash', true);
  if (rec === null) return;
  if (!rec) return ctx.out.int(0);
  const u = ctx.db.uuid(ctx.now);
  const d = new Map<string, Scalar>();
  for (let i = 2; i < args.length; i++) {
    const f = keyOf(args[i]!);
    const s = rec.hash?.get(f);
    if (s && scalarLive(s) && !d.has(f)) d.set(f, scalarClearDelta(s, ctx.db.node, u));
  }
  if (d.size > 0) {
    ctx.sess.lastWrite = u;
    ctx.db.write(key, { hash: d });
  }
  ctx.out.int(d.size);
}

export function cmdHincrby(ctx: CmdCtx, args: Buffer[]): void {
  const by = parseI64(args[3]!);
  if (by === undefined) return ctx.out.error(ERR.notInt);
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'hash', true);
  if (rec === null) return;
  const f = keyOf(args[2]!);
  const raw = ctx.db.keys.get(key)?.hash?.get(f);
  let cur = 0n;
  if (rec && raw && scalarLive(raw)) {
    const n = scalarInt(scalarValue(raw)!);
    if (n === undefined) return ctx.out.error(ERR.hashNotInt);
    cur = n;
  }
  const next = cur + by;
  if (!inI64(next)) return ctx.out.error(ERR.overflow);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { hash: new Map([[f, scalarIncrDelta(raw, ctx.db.node, ctx.db.epoch, u, by)]]) });
  ctx.out.int(next);
}
