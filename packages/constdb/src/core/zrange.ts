// Sorted-set number and range helpers with Redis 7.0's texts: score parsing (strtod without
// leading spaces, no NaN), double replies (integers below 2^52 plain, else %.17g), score
// ranges ("(" exclusive, ±inf) and lex ranges ("[", "(", "-", "+").
import type { ReplyBuffer } from './encode.js';

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)$/i;

/** A score as Redis parses it; undefined when it is not a valid float (NaN included). */
export function parseScore(b: Buffer | string): number | undefined {
  const t = typeof b === 'string' ? b : b.toString('latin1');
  if (t.length === 0 || t.length > 400 || !FLOAT_RE.test(t)) return undefined;
  // a plain number ends in a digit or '.'; only the infinities need the case-folded spelling
  const last = t.charCodeAt(t.length - 1);
  if ((last >= 0x30 && last <= 0x39) || last === 0x2e) {
    const v = Number(t);
    return Number.isNaN(v) ? undefined : v;
  }
  const low = t.toLowerCase().replace(/^[+]/, '');
  if (low === 'inf' || low === 'infinity') return Infinity;
  if (low === '-inf' || low === '-infinity') return -Infinity;
  const v = Number(t);
  return Number.isNaN(v) ? undefined : v;
}

/** C's %.17g. */
function g17(d: number): string {
  const [mant, expS] = d.toExponential(16).split('e') as [string, string];
  const x = Number(expS);
  if (x < -4 || x >= 17) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  const f = d.toFixed(Math.max(0, 16 - x));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

/** The text Redis 7.0 replies for a double. */
export function formatScore(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isInteger(d) && d > -4503599627370495 && d < 4503599627370496) return String(d === 0 ? 0 : d);
  return g17(d);
}

/** A double reply: RESP3 double, bulk string in RESP2. */
export function replyScore(out: ReplyBuffer, d: number): void {
  out.double(formatScore(d));
}

export interface ScoreRange { min: number; max: number; minex: boolean; maxex: boolean }

function parseBound(b: Buffer): [number, boolean] | undefined {
  const t = b.toString('latin1');
  const ex = t.startsWith('(');
  const v = parseScore(ex ? t.slice(1) : t);
  return v === undefined ? undefined : [v, ex];
}

export function parseScoreRange(minB: Buffer, maxB: Buffer): ScoreRange | undefined {
  const a = parseBound(minB);
  const b = parseBound(maxB);
  if (!a || !b) return undefined;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

export const gteMin = (s: number, r: ScoreRange): boolean => (r.minex ? s > r.min : s >= r.min);
export const lteMax = (s: number, r: ScoreRange): boolean => (r.maxex ? s < r.max : s <= r.max);

/** A lex bound: '-' / '+' as minus/plus infinity, else the string and whether it is exclusive. */
export type LexBound = { inf: -1 | 1 } | { s: string; ex: boolean };
export interface LexRange { min: LexBound; max: LexBound }

function parseLexBound(b: Buffer): LexBound | undefined {
  const t = b.toString('latin1');
  if (t === '-') return { inf: -1 };
  if (t === '+') return { inf: 1 };
  if (t[0] === '[') return { s: t.slice(1), ex: false };
  if (t[0] === '(') return { s: t.slice(1), ex: true };
  return undefined;
}

export function parseLexRange(minB: Buffer, maxB: Buffer): LexRange | undefined {
  const min = parseLexBound(minB);
  const max = parseLexBound(maxB);
  return min && max ? { min, max } : undefined;
}

export function lexGteMin(s: string, r: LexRange): boolean {
  const b = r.min;
  if ('inf' in b) return b.inf < 0;
  return b.ex ? s > b.s : s >= b.s;
}

export function lexLteMax(s: string, r: LexRange): boolean {
  const b = r.max;
  if ('inf' in b) return b.inf > 0;
  return b.ex ? s < b.s : s <= b.s;
}

/** Redis's test for a lex range that is always empty (min above max, or equal and exclusive). */
export function lexRangeEmpty(r: LexRange): boolean {
  const a = r.min;
  const b = r.max;
  let cmp: number;
  if ('inf' in a && 'inf' in b) cmp = a.inf === b.inf ? 0 : a.inf < b.inf ? -1 : 1;
  else if ('inf' in a) cmp = a.inf < 0 ? -1 : 1;
  else if ('inf' in b) cmp = b.inf > 0 ? -1 : 1;
  else cmp = a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  const ex = ('ex' in a && a.ex) || ('ex' in b && b.ex);
  return cmp > 0 || (cmp === 0 && ex);
}
