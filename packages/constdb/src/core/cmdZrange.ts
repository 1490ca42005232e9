// Sorted-set range reads and stores (issue 22): ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES),
// ZRANGEBYSCORE ZREVRANGEBYSCORE ZREVRANGE ZRANGEBYLEX ZREVRANGEBYLEX ZCOUNT ZLEXCOUNT
// ZRANGESTORE, in Redis 7.0's argument order and error texts. Lex ranges walk the members
// as Redis's small (listpack) encoding does: from the first member at or past min in score
// order while members stay within max, which is the documented result when scores are equal.
import { type CmdCtx, ERR, keyOf, lower } from './context.js';
import { type KeyRec, keyClearDelta } from './keyrec.js';
import { type ZElem, zAddDelta } from './zset.js';
import { parseI64 } from './scalar.js';
import { storeEmpty, typed } from './cmdCollections.js';
import {
  type LexRange, type ScoreRange, gteMin, lexGteMin, lexRangeEmpty, lexLteMax, lteMax, parseLexRange, parseScoreRange, replyScore,
} from './zrange.js';

type By = 'rank' | 'score' | 'lex';

interface RangeReq { by: By; rev: boolean; withScores: boolean; offset: number; limit: number; a: Buffer; b: Buffer }

const ERR_SCORE = 'ERR min or max is not a float';
const ERR_LEX = 'ERR min or max not valid string range item';

/** Parses options from args[from..]; `fixed` pins BYSCORE/BYLEX/REV for the older commands. */
function parseReq(ctx: CmdCtx, args: Buffer[], from: number, a: Buffer, b: Buffer, fixed?: { by: By; rev: boolean; store?: boolean }): RangeReq | undefined {
  const req: RangeReq = { by: fixed?.by ?? 'rank', rev: fixed?.rev ?? false, withScores: false, offset: 0, limit: -1, a, b };
  for (let i = from; i < args.length; i++) {
    const o = lower(args[i]!);
    const left = args.length - i - 1;
    if (o === 'withscores' && !fixed?.store) req.withScores = true;
    else if (o === 'limit' && left >= 2) {
      const off = parseI64(args[i + 1]!);
      const lim = parseI64(args[i + 2]!);
      if (off === undefined || lim === undefined) {
        ctx.out.error(ERR.notInt);
        return undefined;
      }
      req.offset = Number(off);
      req.limit = Number(lim);
      i += 2;
    } else if (!fixed && o === 'byscore') req.by = 'score';
    else if (!fixed && o === 'bylex') req.by = 'lex';
    else if (!fixed && o === 'rev') req.rev = true;
    else if (fixed?.store && fixed.by === 'rank' && o === 'byscore') req.by = 'score';
    else if (fixed?.store && fixed.by === 'rank' && o === 'bylex') req.by = 'lex';
    else if (fixed?.store && o === 'rev') req.rev = true;
    else {
      ctx.out.error(ERR.syntax);
      return undefined;
    }
  }
  if (req.limit !== -1 && req.by === 'rank') {
    ctx.out.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return undefined;
  }
  if (req.withScores && req.by === 'lex') {
    ctx.out.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return undefined;
  }
  // REV with BYSCORE/BYLEX (and ZREVRANGEBYSCORE/ZREVRANGEBYLEX) takes max first
  if (req.rev && req.by !== 'rank') [req.a, req.b] = [req.b, req.a];
  return req;
}

type Parsed = { rank: [number, number] } | { score: ScoreRange } | { lex: LexRange };

function parseRange(ctx: CmdCtx, req: RangeReq): Parsed | undefined {
  if (req.by === 'rank') {
    const s = parseI64(req.a);
    const e = parseI64(req.b);
    if (s === undefined || e === undefined) return void ctx.out.error(ERR.notInt);
    return { rank: [Number(s), Number(e)] };
  }
  if (req.by === 'score') {
    const r = parseScoreRange(req.a, req.b);
    return r ? { score: r } : void ctx.out.error(ERR_SCORE);
  }
  const r = parseLexRange(req.a, req.b);
  return r ? { lex: r } : void ctx.out.error(ERR_LEX);
}

/** The members selected, in reply order. */
function select(rec: KeyRec | undefined, req: RangeReq, p: Parsed): ZElem[] {
  const seq = rec?.zset?.seq;
  const out: ZElem[] = [];
  if (!seq || seq.length === 0) return out;
  const len = seq.length;
  const at = (i: number) => seq.at(req.rev ? len - 1 - i : i);
  if ('rank' in p) {
    let [s, e] = p.rank;
    if (s < 0) s = len + s;
    if (e < 0) e = len + e;
    if (s < 0) s = 0;
    if (s > e || s >= len) return out;
    if (e >= len) e = len - 1;
    for (let i = s; i <= e; i++) out.push(at(i));
    return out;
  }
  if (req.offset < 0) return out;
  let skip = req.offset;
  const room = () => req.limit < 0 || out.length < req.limit;
  if ('score' in p) {
    const r = p.score;
    if (!req.rev) {
      for (let i = seq.firstWhere((x) => gteMin(x.sc, r)); i < len && room(); i++) {
        const x = seq.at(i);
        if (!lteMax(x.sc, r)) break;
        if (skip > 0) skip--;
        else out.push(x);
      }
    } else {
      for (let i = seq.firstWhere((x) => !lteMax(x.sc, r)) - 1; i >= 0 && room(); i--) {
        const x = seq.at(i);
        if (!gteMin(x.sc, r)) break;
        if (skip > 0) skip--;
        else out.push(x);
      }
    }
    return out;
  }
  const r = p.lex;
  // as Redis: nothing unless the range is non-empty, the last member is >= min and the first <= max
  if (lexRangeEmpty(r) || !lexGteMin(seq.at(len - 1).k, r) || !lexLteMax(seq.at(0).k, r)) return out;
  let i = 0;
  if (!req.rev) {
    while (i < len && !lexGteMin(seq.at(i).k, r)) i++;
    for (; i < len && room(); i++) {
      const x = seq.at(i);
      if (!lexLteMax(x.k, r)) break;
      if (skip > 0) skip--;
      else out.push(x);
    }
  } else {
    i = len - 1;
    while (i >= 0 && !lexLteMax(seq.at(i).k, r)) i--;
    for (; i >= 0 && room(); i--) {
      const x = seq.at(i);
      if (!lexGteMin(x.k, r)) break;
      if (skip > 0) skip--;
      else out.push(x);
    }
  }
  return out;
}

function reply(ctx: CmdCtx, xs: ZElem[], withScores: boolean): void {
  const nested = withScores && ctx.out.proto === 3;
  ctx.out.arr(withScores && !nested ? xs.length * 2 : xs.length);
  for (const x of xs) {
    if (nested) ctx.out.arr(2);
    ctx.out.bulkLatin1(x.k);
    if (withScores) replyScore(ctx.out, x.sc);
  }
}

/** ZRANGE and its older forms; `fixed` for ZRANGEBYSCORE & co. */
export function cmdZrange(ctx: CmdCtx, args: Buffer[], fixed?: { by: By; rev: boolean }): void {
  const req = parseReq(ctx, args, 4, args[2]!, args[3]!, fixed);
  if (!req) return;
  const p = parseRange(ctx, req);
  if (!p) return;
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  reply(ctx, select(rec, req, p), req.withScores);
}

export function cmdZcount(ctx: CmdCtx, args: Buffer[], lex: boolean): void {
  const req: RangeReq = { by: lex ? 'lex' : 'score', rev: false, withScores: false, offset: 0, limit: -1, a: args[2]!, b: args[3]! };
  const p = parseRange(ctx, req);
  if (!p) return;
  const rec = typed(ctx, keyOf(args[1]!), 'zset', false);
  if (rec === null) return;
  ctx.out.int(select(rec, req, p).length);
}

/** Overwrites dst with members and scores (or deletes it when empty), like the other STOREs. */
export function storeZset(ctx: CmdCtx, dst: string, xs: Array<[string, number]>): void {
  const rec = ctx.db.forWrite(dst, ctx.now);
  if (xs.length === 0) return storeEmpty(ctx, dst, rec);
  const u = ctx.db.uuid(ctx.now);
  const d: KeyRec = rec ? keyClearDelta(rec, ctx.db.node, u - 1n) : {};
  const m = d.zset?.m ?? new Map<string, ZElem>();
  for (const [k, s] of xs) {
    const x = zAddDelta(k, ctx.db.node, u, s);
    const rm = m.get(k)?.rm;
    if (rm) x.rm = rm;
    m.set(k, x);
  }
  d.zset = { m };
  ctx.sess.lastWrite = u;
  ctx.db.write(dst, d);
  ctx.out.int(xs.length);
}

export function cmdZrangestore(ctx: CmdCtx, args: Buffer[]): void {
  const req = parseReq(ctx, args, 5, args[3]!, args[4]!, { by: 'rank', rev: false, store: true });
  if (!req) return;
  const p = parseRange(ctx, req);
  if (!p) return;
  const rec = typed(ctx, keyOf(args[2]!), 'zset', false);
  if (rec === null) return;
  storeZset(ctx, keyOf(args[1]!), select(rec, req, p).map((x) => [x.k, x.sc]));
}
