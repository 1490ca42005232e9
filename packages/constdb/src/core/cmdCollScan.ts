// SSCAN HSCAN ZSCAN, SRANDMEMBER HRANDFIELD and RANDOMKEY (issue 22). The collection scans
// answer the whole collection in one call with cursor 0 (COUNT is a hint in Redis too, and
// small collections come back that way there): every member present for the whole scan is
// returned, as the SCAN contract asks. The random picks are local reads.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { elemLive, keyType } from './keyrec.js';
import { scalarBytes, scalarLive, scalarValue, parseI64 } from './scalar.js';
import { globMatch } from './glob.js';
import { formatScore } from './zrange.js';

function parseCursor(b: Buffer): boolean {
  const t = b.toString('latin1');
  return /^-?[0-9]{1,20}$/.test(t) && BigInt(t) < 1n << 64n && BigInt(t) > -(1n << 64n);
}

export function cmdCollScan(ctx: CmdCtx, args: Buffer[], type: 'set' | 'hash' | 'zset'): void {
  if (!parseCursor(args[2]!)) return ctx.out.error('ERR invalid cursor');
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (!rec) {
    ctx.out.arr(2);
    ctx.out.bulk('0');
    return ctx.out.arr(0);
  }
  if (keyType(rec) !== type) return ctx.out.error(ERR.wrongType);
  // Redis parses the options only for an existing key of the right type
  let pat: string | undefined;
  for (let i = 3; i < args.length; i++) {
    const o = lower(args[i]!);
    if (i + 1 >= args.length) return ctx.out.error(ERR.syntax);
    if (o === 'match') pat = keyOf(args[++i]!);
    else if (o === 'count') {
      const c = parseI64(args[++i]!);
      if (c === undefined) return ctx.out.error(ERR.notInt);
      if (c < 1n) return ctx.out.error(ERR.syntax);
    } else return ctx.out.error(ERR.syntax);
  }
  const flat: Array<string | Buffer> = [];
  // every scan is answered whole from cursor 0, so no cursor of ours continues one
  const fresh = /^-?0+$/.test(args[2]!.toString('latin1'));
  const keep = (m: string) => pat === undefined || globMatch(pat, m);
  if (fresh && type === 'set') {
    for (const [m, e] of rec.set!) if (elemLive(e) && keep(m)) flat.push(m);
  } else if (fresh && type === 'hash') {
    for (const [f, s] of rec.hash!) if (scalarLive(s) && keep(f)) flat.push(f, scalarBytes(scalarValue(s)!));
  } else if (fresh) {
    for (const e of rec.zset!.seq!) if (keep(e.k)) flat.push(e.k, formatScore(e.sc));
  }
  ctx.out.arr(2);
  ctx.out.bulk('0');
  ctx.out.arr(flat.length);
  for (const x of flat) {
    if (typeof x === 'string') ctx.out.bulkLatin1(x);
    else ctx.out.bulk(x);
  }
}

/** count picks: distinct when count >= 0 (at most all), with repeats when negative. */
function pick<T>(xs: T[], count: number): T[] {
  if (count < 0) return Array.from({ length: -count }, () => xs[Math.floor(Math.random() * xs.length)]!);
  const a = xs.slice();
  const n = Math.min(count, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

function countArg(ctx: CmdCtx, b: Buffer | undefined): number | undefined | null {
  if (!b) return undefined;
  const c = parseI64(b);
  if (c === undefined) {
    ctx.out.error(ERR.notInt);
    return null;
  }
  if (c === -(1n << 63n)) {
    ctx.out.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return null;
  }
  return Number(c);
}

export function cmdSrandmember(ctx: CmdCtx, args: Buffer[]): void {
  if (args.length > 3) return ctx.out.error(ERR.syntax);
  const count = countArg(ctx, args[2]);
  if (count === null) return;
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (rec && keyType(rec) !== 'set') return ctx.out.error(ERR.wrongType);
  const ms: string[] = [];
  if (rec) for (const [m, e] of rec.set!) if (elemLive(e)) ms.push(m);
  if (count === undefined) return ms.length ? ctx.out.bulkLatin1(pick(ms, 1)[0]!) : ctx.out.nil();
  const out = ms.length ? pick(ms, count) : [];
  ctx.out.arr(out.length);
  for (const m of out) ctx.out.bulkLatin1(m);
}

export function cmdHrandfield(ctx: CmdCtx, args: Buffer[]): void {
  const count = countArg(ctx, args[2]);
  if (count === null) return;
  if (args.length > 4 || (args.length === 4 && lower(args[3]!) !== 'withvalues')) return ctx.out.error(ERR.syntax);
  const rec = ctx.db.lookup(keyOf(args[1]!), ctx.now);
  if (rec && keyType(rec) !== 'hash') return ctx.out.error(ERR.wrongType);
  const fs: Array<[string, Buffer]> = [];
  if (rec) for (const [f, s] of rec.hash!) if (scalarLive(s)) fs.push([f, scalarBytes(scalarValue(s)!)]);
  if (count === undefined) return fs.length ? ctx.out.bulkLatin1(pick(fs, 1)[0]![0]) : ctx.out.nil();
  const withValues = args.length === 4;
  const out = fs.length ? pick(fs, count) : [];
  const nested = withValues && ctx.out.proto === 3;
  ctx.out.arr(withValues && !nested ? out.length * 2 : out.length);
  for (const [f, v] of out) {
    if (nested) ctx.out.arr(2);
    ctx.out.bulkLatin1(f);
    if (withValues) ctx.out.bulk(v);
  }
}

export function cmdRandomkey(ctx: CmdCtx): void {
  // a random scan slot onwards: O(keys returned by the walk), not a copy of the keyspace
  for (let tries = 0; tries < 16; tries++) {
    const { keys } = ctx.db.scanIndex.scan(Math.floor(Math.random() * 65536), 1);
    for (const k of keys) if (ctx.db.lookup(k, ctx.now)) return ctx.out.bulkLatin1(k);
  }
  for (const k of ctx.db.keys.keys()) if (ctx.db.lookup(k, ctx.now)) return ctx.out.bulkLatin1(k);
  ctx.out.nil();
}
