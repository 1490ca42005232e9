// KV values <-> Paxos values: int64 as bigint (or a safe-integer number), text as string, bytes
// as Uint8Array; each read back as it was written.
import { type Value, bytesValue, i64Value, textValue } from '../core/index.js';
import { UsageError } from '../errors.js';

export type KvValue = bigint | string | Uint8Array;

export const INT64_MAX = 2n ** 63n - 1n;

/** A value for set(): int64 as bigint (or a safe integer number), text as string, or bytes. */
export function toPaxosValue(v: KvValue | number, tag?: Uint8Array): Value {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      throw new UsageError(Number.isInteger(v) ? `value ${v} is not a safe integer: pass it as a bigint (${BigInt(v)}n)` : `value must be a bigint, string or Uint8Array, got number ${v}`);
    }
    v = BigInt(v);
  }
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v > INT64_MAX) throw new UsageError(`value ${v} is out of the int64 range`);
    return i64Value(v, tag);
  }
  if (typeof v === 'string') return textValue(v, tag);
  if (v instanceof Uint8Array) return bytesValue(v, tag);
  const what = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  throw new UsageError(`value must be a bigint, string or Uint8Array, got ${what}`);
}

/**
 * A value read back as it was written: int64 as bigint, a string as a string, bytes as a
 * Uint8Array (also when they happen to be valid UTF-8). A bytes value written without the text
 * mark (a seed-era or foreign client) comes back as a Uint8Array.
 */
export function fromPaxosValue(v: Value): KvValue {
  if (!v.bytes) return v.vi64;
  if (v.text) return new TextDecoder('utf-8').decode(v.bytes);
  return Uint8Array.from(v.bytes);
}

