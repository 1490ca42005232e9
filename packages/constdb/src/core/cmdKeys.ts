// Keyspace commands: DEL EXISTS TYPE KEYS SCAN DBSIZE FLUSHALL EXPIRE PEXPIRE TTL PTTL PERSIST.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { keyType, expiryAt, expClearDelta } from './keyrec.js';
import { parseI64, inI64 } from './scalar.js';
import { globMatch } from './glob.js';
import { SCAN_SLOTS } from './scanIndex.js';

export function cmdDel(ctx: CmdCtx, args: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    const key = keyOf(args[i]!);
    const rec = ctx.db.forWrite(key, ctx.now);
    if (rec) {
      ctx.db.del(key, rec, ctx.now);
      ctx.sess.lastWrite = ctx.db.clock.current;
      n++;
    }
  }
  ctx.out.int(n);
}

export function cmdExists(ctx: CmdCtx, args: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (ctx.db.lookup(keyOf(args[i]!), ctx.now)) n++;
  ctx.out.int(n);
}

export function cmdType(ctx: CmdCtx, args: Buffer[]): void {
  ctx.out.simple(ctx.db.typeOf(keyOf(args[1]!), ctx.now) ?? 'none');
}

export function cmdKeys(ctx: CmdCtx, args: Buffer[]): void {
  const pat = keyOf(args[1]!);
  const out: string[] = [];
  for (const key of ctx.db.keys.keys()) if (globMatch(pat, key) && ctx.db.lookup(key, ctx.now)) out.push(key);
  ctx.out.arr(out.length);
  for (const k of out) ctx.out.bulkLatin1(k);
}

/** An unsigned 64-bit cursor; like Redis (strtoul), a negative one wraps around. */
function parseCursor(b: Buffer): bigint | undefined {
  const t = b.toString('latin1');
  if (!/^-?[0-9]{1,20}$/.test(t)) return undefined;
  const v = BigInt(t);
  if (v >= 1n << 64n || v <= -(1n << 64n)) return undefined;
  return v < 0n ? (1n << 64n) + v : v;
}

export function cmdScan(ctx: CmdCtx, args: Buffer[]): void {
  const cursor = parseCursor(args[1]!);
  if (cursor === undefined) return ctx.out.error('ERR invalid cursor');
  let pat: string | undefined;
  let count = 10;
  let type: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const opt = lower(args[i]!);
    if (i + 1 >= args.length) return ctx.out.error(ERR.syntax);
    if (opt === 'match') pat = keyOf(args[++i]!);
    else if (opt === 'count') {
      const c = parseI64(args[++i]!);
      if (c === undefined) return ctx.out.error(ERR.notInt);
      if (c < 1n) return ctx.out.error(ERR.syntax);
      count = Number(c);
    } else if (opt === 'type') type = lower(args[++i]!);
    else return ctx.out.error(ERR.syntax);
  }
  // the cursor is a slot of the scan index (see scanIndex.ts): keys present for the whole
  // scan are returned whatever is added, deleted or garbage-collected meanwhile
  const { keys, next } = cursor >= BigInt(SCAN_SLOTS) ? { keys: [], next: 0 } : ctx.db.scanIndex.scan(Number(cursor), count);
  const out: string[] = [];
  for (const k of keys) {
    const rec = ctx.db.lookup(k, ctx.now);
    if (!rec) continue;
    if (pat !== undefined && !globMatch(pat, k)) continue;
    if (type !== undefined && keyType(rec) !== type) continue;
    out.push(k);
  }
  ctx.out.arr(2);
  ctx.out.bulkLatin1(String(next));
  ctx.out.arr(out.length);
  for (const k of out) ctx.out.bulkLatin1(k);
}

export function cmdDbsize(ctx: CmdCtx): void {
  ctx.out.int(ctx.db.size(ctx.now));
}

export function cmdFlushall(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 2 || (args.length === 2 && !['sync', 'async'].includes(lower(args[1]!)))) return ctx.out.error(ERR.syntax);
  for (const key of [...ctx.db.keys.keys()]) {
    const rec = ctx.db.lookup(key, ctx.now);
    if (rec) ctx.db.del(key, rec, ctx.now);
  }
  ctx.sess.lastWrite = ctx.db.clock.current;
  ctx.out.ok();
}

/** EXPIRE/PEXPIRE (relative to now) and EXPIREAT/PEXPIREAT (`absolute`: a unix time). */
function expireGeneric(ctx: CmdCtx, args: Buffer[], unitMs: number, name: string, absolute = false): void {
  const n = parseI64(args[2]!);
  if (n === undefined) return ctx.out.error(ERR.notInt);
  let nx = false, xx = false, gt = false, lt = false;
  for (let i = 3; i < args.length; i++) {
    const o = lower(args[i]!);
    if (o === 'nx') nx = true;
    else if (o === 'xx') xx = true;
    else if (o === 'gt') gt = true;
    else if (o === 'lt') lt = true;
    else return ctx.out.error(`ERR Unsupported option ${args[i]!.toString()}`);
  }
  if (nx && (xx || gt || lt)) return ctx.out.error('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (gt && lt) return ctx.out.error('ERR GT and LT options at the same time are not compatible');
  // Redis's checks: the product and the sum with now must both fit in int64
  const ms = n * BigInt(unitMs);
  const at = absolute ? ms : ms + BigInt(ctx.now);
  if (!inI64(ms) || !inI64(at)) return ctx.out.error(ERR.invalidExpire(name));
  const key = keyOf(args[1]!);
  const rec = ctx.db.forWrite(key, ctx.now);
  if (!rec) return ctx.out.int(0);
  const cur = expiryAt(rec.exp);
  if (nx && cur !== 0n) return ctx.out.int(0);
  if (xx && cur === 0n) return ctx.out.int(0);
  if (gt && (cur === 0n || at <= cur)) return ctx.out.int(0);
  if (lt && cur !== 0n && at >= cur) return ctx.out.int(0);
  if (at <= ctx.now) {
    ctx.db.del(key, rec, ctx.now);
    ctx.sess.lastWrite = ctx.db.clock.current;
    return ctx.out.int(1);
  }
  const u = ctx.db.uuid(ctx.now);
  const clr = expClearDelta(rec.exp, ctx.db.node, u - 1n)?.clr;
  ctx.db.write(key, { exp: { e: new Map([[ctx.db.node, { u, at }]]), ...(clr ? { clr } : {}) } });
  ctx.sess.lastWrite = u;
  ctx.out.int(1);
}

export function cmdExpire(ctx: CmdCtx, args: Buffer[]): void {
  expireGeneric(ctx, args, 1000, 'expire');
}

export function cmdPexpire(ctx: CmdCtx, args: Buffer[]): void {
  expireGeneric(ctx, args, 1, 'pexpire');
}

export function cmdExpireat(ctx: CmdCtx, args: Buffer[]): void {
  expireGeneric(ctx, args, 1000, 'expireat', true);
}

export function cmdPexpireat(ctx: CmdCtx, args: Buffer[]): void {
  expireGeneric(ctx, args, 1, 'pexpireat', true);
}

/** EXPIRETIME / PEXPIRETIME: the absolute expiry (-1 none, -2 no key). */
export function cmdExpiretime(ctx: CmdCtx, args: Buffer[], unitMs: number): void {
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (!rec) return ctx.out.int(-2);
  const at = expiryAt(rec.exp);
  if (at === 0n) return ctx.out.int(-1);
  ctx.out.int(unitMs === 1 ? at : at / 1000n);
}

/** TOUCH: how many of the keys exist. */
export function cmdTouch(ctx: CmdCtx, args: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < args.length; i++) if (ctx.db.lookup(keyOf(args[i]!), ctx.now)) n++;
  ctx.out.int(n);
}

function ttlGeneric(ctx: CmdCtx, args: Buffer[], unitMs: number): void {
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (!rec) return ctx.out.int(-2);
  const at = expiryAt(rec.exp);
  if (at === 0n) return ctx.out.int(-1);
  const left = at - BigInt(ctx.now);
  // Redis rounds the seconds: (ttl + 500) / 1000
  ctx.out.int(unitMs === 1 ? left : (left + 500n) / 1000n);
}

export function cmdTtl(ctx: CmdCtx, args: Buffer[]): void {
  ttlGeneric(ctx, args, 1000);
}

export function cmdPttl(ctx: CmdCtx, args: Buffer[]): void {
  ttlGeneric(ctx, args, 1);
}

export function cmdPersist(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = ctx.db.forWrite(key, ctx.now);
  if (!rec || expiryAt(rec.exp) === 0n) return ctx.out.int(0);
  const u = ctx.db.uuid(ctx.now);
  const clr = expClearDelta(rec.exp, ctx.db.node, u - 1n)?.clr;
  // an explicit PERSIST entry: concurrent TTLs elsewhere lose to it
  ctx.db.write(key, { exp: { e: new Map([[ctx.db.node, { u, at: 0n }]]), ...(clr ? { clr } : {}) } });
  ctx.sess.lastWrite = u;
  ctx.out.int(1);
}
