// 64-bit integers at the proto edge. Protos are loaded with `longs: String`, so int64/uint64
// fields arrive as decimal strings; they become bigint here and go back as strings.
import { Int64Error } from '../errors.js';

/** The shape of a protobufjs `Long` (accepted so callers loading protos differently still work). */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toString(radix?: number): string;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

const decimal = /^-?\d+$/;

function isLongLike(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && 'low' in v && 'high' in v && 'unsigned' in v;
}

/** Converts a wire value to bigint. null/undefined/'' (proto3 default) is 0n. */
export function toBigInt(v: string | number | bigint | LongLike | null | undefined): bigint {
  if (v === null || v === undefined || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Int64Error(`not a safe integer: ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (!decimal.test(s)) throw new Int64Error(`not a decimal integer: ${JSON.stringify(v)}`);
    return BigInt(s);
  }
  if (isLongLike(v)) return BigInt(v.toString(10));
  throw new Int64Error(`cannot convert ${typeof v} to bigint`);
}

/** Encodes a bigint for a proto int64 field (decimal string; range-checked). */
export function int64ToWire(v: bigint): string {
  if (v < INT64_MIN || v > INT64_MAX) throw new Int64Error(`out of int64 range: ${v}`);
  return v.toString(10);
}

/** Encodes a bigint for a proto uint64 field (decimal string; range-checked). */
export function uint64ToWire(v: bigint): string {
  if (v < 0n || v > UINT64_MAX) throw new Int64Error(`out of uint64 range: ${v}`);
  return v.toString(10);
}
