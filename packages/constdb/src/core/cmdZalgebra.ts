// ZUNIONSTORE ZINTERSTORE ZDIFFSTORE and ZUNION ZINTER ZDIFF (issue 22): sources may be sorted
// sets or sets (a set member scores 1), WEIGHTS and AGGREGATE SUM|MIN|MAX as in Redis 7.0
// (inf + -inf sums to 0). The STORE forms overwrite the destination like ZRANGESTORE.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type KeyRec, elemLive, keyType } from './keyrec.js';
import { parseI64 } from './scalar.js';
import { parseScore } from './zrange.js';
import { storeZset } from './cmdZrange.js';
import { replyScore } from './zrange.js';

type Op = 'union' | 'inter' | 'diff';
type Src = Map<string, number>;

function members(rec: KeyRec | undefined): Src {
  const out: Src = new Map();
  if (!rec) return out;
  if (keyType(rec) === 'zset') for (const e of rec.zset!.seq!) out.set(e.k, e.sc);
  else if (rec.set) for (const [m, e] of rec.set) if (elemLive(e)) out.set(m, 1);
  return out;
}

const agg = (a: number, b: number, how: string): number => {
  if (how === 'min') return Math.min(a, b);
  if (how === 'max') return Math.max(a, b);
  const s = a + b;
  return Number.isNaN(s) ? 0 : s;
};

/** `store`: the destination key (STORE forms); the numkeys argument is at `at`. */
export function cmdZalgebra(ctx: CmdCtx, args: Buffer[], op: Op, store: boolean): void {
  const at = store ? 2 : 1;
  const name = lower(args[0]!);
  const nk = parseI64(args[at]!);
  if (nk === undefined) return ctx.out.error(ERR.notInt);
  if (nk < 1n) return ctx.out.error(`ERR at least 1 input key is needed for '${name}' command`);
  if (nk > BigInt(args.length - at - 1)) return ctx.out.error(ERR.syntax);
  const n = Number(nk);
  const srcs: Src[] = [];
  for (let i = 0; i < n; i++) {
    const key = keyOf(args[at + 1 + i]!);
    const rec = store ? ctx.db.forWrite(key, ctx.now) : ctx.db.lookup(key, ctx.now);
    if (rec) {
      const t = keyType(rec);
      if (t !== 'zset' && t !== 'set') return ctx.out.error(ERR.wrongType);
    }
    srcs.push(members(rec));
  }
  const weights = new Array<number>(n).fill(1);
  let how = 'sum';
  let withScores = false;
  for (let i = at + 1 + n; i < args.length; i++) {
    const o = lower(args[i]!);
    const left = args.length - i - 1;
    if (op !== 'diff' && o === 'weights' && left >= n) {
      for (let j = 0; j < n; j++) {
        const w = parseScore(args[i + 1 + j]!);
        if (w === undefined) return ctx.out.error('ERR weight value is not a float');
        weights[j] = w;
      }
      i += n;
    } else if (op !== 'diff' && o === 'aggregate' && left >= 1) {
      const a = lower(args[++i]!);
      if (a !== 'sum' && a !== 'min' && a !== 'max') return ctx.out.error(ERR.syntax);
      how = a;
    } else if (!store && o === 'withscores') withScores = true;
    else return ctx.out.error(ERR.syntax);
  }
  const weighted = (v: number, j: number) => {
    const x = v * weights[j]!;
    return Number.isNaN(x) ? 0 : x;
  };
  const out = new Map<string, number>();
  if (op === 'union') {
    srcs.forEach((s, j) => {
      for (const [m, v] of s) {
        const x = weighted(v, j);
        const cur = out.get(m);
        out.set(m, cur === undefined ? x : agg(cur, x, how));
      }
    });
  } else if (op === 'inter') {
    for (const [m, v] of srcs[0]!) {
      let x = weighted(v, 0);
      let all = true;
      for (let j = 1; j < n && all; j++) {
        const o = srcs[j]!.get(m);
        if (o === undefined) all = false;
        else x = agg(x, weighted(o, j), how);
      }
      if (all) out.set(m, x);
    }
  } else {
    for (const [m, v] of srcs[0]!) if (!srcs.slice(1).some((s) => s.has(m))) out.set(m, v);
  }
  const sorted = [...out].sort((a, b) => (a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (store) return storeZset(ctx, keyOf(args[1]!), sorted);
  const nested = withScores && ctx.out.proto === 3;
  ctx.out.arr(withScores && !nested ? sorted.length * 2 : sorted.length);
  for (const [m, v] of sorted) {
    if (nested) ctx.out.arr(2);
    ctx.out.bulkLatin1(m);
    if (withScores) replyScore(ctx.out, v);
  }
}
