// INCRBYFLOAT, HINCRBYFLOAT and SETRANGE (issue 22). Redis adds x87 long doubles (64-bit
// mantissa) and prints the sum with 17 decimals, trailing zeros cut; the same rounding is
// done here exactly with bigint rationals (normal range; beyond ~1e4932 is infinite and
// refused, subnormals are not modelled). Across nodes each is a SET of the result (like APPEND): two concurrent INCRBYFLOATs
// keep one of the two results (INCRBY counts both). The TTL is kept, as in Redis.
import { type CmdCtx, ERR, keyOf } from './context.js';
import { keyType } from './keyrec.js';
import { scalarBytes, scalarLive, scalarSetDelta, scalarValue, parseI64 } from './scalar.js';
import { setDelta } from './cmdStrings.js';
import { typed } from './cmdCollections.js';

type Dec = { m: bigint; e: number } | 'inf';

const DEC_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,6}))?$/;

/** A decimal as Redis's strtold reads it (no leading space, no NaN); undefined when invalid. */
export function parseDec(b: Buffer | string): Dec | undefined {
  const t = typeof b === 'string' ? b : b.toString('latin1');
  if (t.length === 0 || t.length > 5120) return undefined;
  const low = t.toLowerCase().replace(/^[+-]/, '');
  if (low === 'inf' || low === 'infinity') return 'inf';
  const r = DEC_RE.exec(t);
  if (!r || (r[2] === '' && (r[3] ?? '') === '')) return undefined;
  const frac = r[3] ?? '';
  const exp = Number(r[4] ?? '0');
  const digits = (r[2] ?? '') + frac;
  const e = exp - frac.length;
  // beyond a long double's range (~1e4932) the sum is infinite
  if (digits.replace(/^0+/, '').length + e > 4932) return 'inf';
  let m = BigInt(digits || '0');
  if (r[1] === '-') m = -m;
  return { m, e };
}

const bitLen = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/** a / b rounded half to even (b > 0). */
function divRound(a: bigint, b: bigint): bigint {
  const neg = a < 0n;
  const n = neg ? -a : a;
  let q = n / b;
  const r2 = (n % b) * 2n;
  if (r2 > b || (r2 === b && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

type Rat = [bigint, bigint];

/** The nearest value with a 64-bit mantissa (an x87 long double, as Redis adds them), exactly. */
function toLongDouble([num, den]: Rat): Rat {
  if (num === 0n) return [0n, 1n];
  const a = num < 0n ? -num : num;
  let k = bitLen(a) - bitLen(den) - 64;
  for (;;) {
    const q = k >= 0 ? divRound(a, den << BigInt(k)) : divRound(a << BigInt(-k), den);
    if (q >= 1n << 64n) k++;
    else if (q < 1n << 63n) k--;
    else {
      const m = num < 0n ? -q : q;
      return k >= 0 ? [m << BigInt(k), 1n] : [m, 1n << BigInt(-k)];
    }
  }
}

const rat = (d: { m: bigint; e: number }): Rat => (d.e >= 0 ? [d.m * 10n ** BigInt(d.e), 1n] : [d.m, 10n ** BigInt(-d.e)]);

/**
 * Redis's INCRBYFLOAT arithmetic: both operands and the sum rounded to long doubles, printed
 * with 17 decimals (%.17Lf), trailing zeros and a bare point cut.
 */
export function formatDecSum(a: { m: bigint; e: number }, b: { m: bigint; e: number }): string {
  const [an, ad] = toLongDouble(rat(a));
  const [bn, bd] = toLongDouble(rat(b));
  const [n, d] = toLongDouble([an * bd + bn * ad, ad * bd]);
  const q = divRound(n * 10n ** 17n, d);
  const neg = q < 0n || (q === 0n && n < 0n);
  const s = (q < 0n ? -q : q).toString().padStart(18, '0');
  const out = `${s.slice(0, -17)}.${s.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
  return neg ? '-' + out : out;
}

const NAN_INF = 'ERR increment would produce NaN or Infinity';

export function cmdIncrbyfloat(ctx: CmdCtx, args: Buffer[]): void {
  const key = keyOf(args[1]!);
  const rec = ctx.db.forWrite(key, ctx.now);
  if (rec && keyType(rec) !== 'string') return ctx.out.error(ERR.wrongType);
  const v = rec ? scalarValue(rec.str!) : undefined;
  const cur = v ? parseDec(scalarBytes(v)) : { m: 0n, e: 0 };
  if (cur === undefined) return ctx.out.error('ERR value is not a valid float');
  const by = parseDec(args[2]!);
  if (by === undefined) return ctx.out.error('ERR value is not a valid float');
  if (cur === 'inf' || by === 'inf') return ctx.out.error(NAN_INF);
  const next = formatDecSum(cur, by);
  ctx.db.write(key, setDelta(ctx, rec, Buffer.from(next, 'latin1'), 0n, true));
  ctx.out.bulkLatin1(next);
}

export function cmdHincrbyfloat(ctx: CmdCtx, args: Buffer[]): void {
  const by = parseDec(args[3]!);
  if (by === undefined) return ctx.out.error('ERR value is not a valid float');
  if (by === 'inf') return ctx.out.error('ERR value is NaN or Infinity');
  const key = keyOf(args[1]!);
  const rec = typed(ctx, key, 'hash', true);
  if (rec === null) return;
  const f = keyOf(args[2]!);
  const raw = rec?.hash?.get(f);
  const live = raw && scalarLive(raw) ? scalarValue(raw) : undefined;
  const cur = live ? parseDec(scalarBytes(live)) : { m: 0n, e: 0 };
  if (cur === undefined) return ctx.out.error('ERR hash value is not a float');
  if (cur === 'inf') return ctx.out.error(NAN_INF);
  const next = formatDecSum(cur, by);
  const u = ctx.db.uuid(ctx.now);
  ctx.sess.lastWrite = u;
  ctx.db.write(key, { hash: new Map([[f, scalarSetDelta(raw, ctx.db.node, u, Buffer.from(next, 'latin1'))]]) });
  ctx.out.bulkLatin1(next);
}

const STRING_MAX = 512 * 1024 * 1024;

export function cmdSetrange(ctx: CmdCtx, args: Buffer[]): void {
  const off = parseI64(args[2]!);
  if (off === undefined) return ctx.out.error(ERR.notInt);
  if (off < 0n) return ctx.out.error('ERR offset is out of range');
  const key = keyOf(args[1]!);
  const val = args[3]!;
  const rec = ctx.db.forWrite(key, ctx.now);
  if (rec && keyType(rec) !== 'string') return ctx.out.error(ERR.wrongType);
  const v = rec ? scalarValue(rec.str!) : undefined;
  const cur = v ? scalarBytes(v) : Buffer.alloc(0);
  if (val.length === 0) return ctx.out.int(cur.length);
  if (off + BigInt(val.length) > BigInt(STRING_MAX)) return ctx.out.error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  const o = Number(off);
  const next = Buffer.alloc(Math.max(cur.length, o + val.length));
  cur.copy(next, 0);
  val.copy(next, o);
  ctx.db.write(key, setDelta(ctx, rec, next, 0n, true));
  ctx.out.int(next.length);
}
