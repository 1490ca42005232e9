import { crc32 } from './crc32.js';
import { CorruptRecordError, InvalidArgumentError } from './errors.js';
import { decodeUtf8, encodeUtf8 } from './keys.js';

// Checksummed records: CRC32 u32 BE of the payload, then the payload. Stored values that must
// not be trusted blindly (log entries, acceptor state) go through sealRecord/openRecord.

export const RECORD_HEADER_BYTES = 4;

/** Prefix `payload` with its CRC32. */
export function sealRecord(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('sealRecord needs a Uint8Array');
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, crc32(payload));
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}

/** Check and strip a sealRecord header; throws CorruptRecordError on a mismatch. */
export function openRecord(record: Uint8Array): Uint8Array {
  if (!(record instanceof Uint8Array)) throw new InvalidArgumentError('openRecord needs a Uint8Array');
  if (record.length < RECORD_HEADER_BYTES) throw new CorruptRecordError(`${record.length} bytes is shorter than the CRC header`);
  const payload = record.subarray(RECORD_HEADER_BYTES);
  const stored = new DataView(record.buffer, record.byteOffset, record.byteLength).getUint32(0);
  const actual = crc32(payload);
  if (stored !== actual) throw new CorruptRecordError(`CRC32 mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`);
  return payload;
}

// JSON values with bigint support: a bigint is written as {"$bigint":"<decimal>"} and revived.
const BIGINT_TAG = '$bigint';

/** JSON-encode `value` to UTF-8; bigints survive (see decodeJson). */
export function encodeJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v));
  if (text === undefined) throw new InvalidArgumentError('encodeJson: value is not JSON-serializable');
  return encodeUtf8(text);
}

/** Decode what encodeJson wrote; throws CorruptRecordError on bad UTF-8 or JSON. */
export function decodeJson<T = unknown>(bytes: Uint8Array): T {
  let text: string;
  try {
    text = decodeUtf8(bytes);
    return JSON.parse(text, (_k, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        const tagged = (v as Record<string, unknown>)[BIGINT_TAG];
        if (keys.length === 1 && typeof tagged === 'string' && /^-?\d+$/.test(tagged)) return BigInt(tagged);
      }
      return v;
    }) as T;
  } catch (err) {
    throw new CorruptRecordError(`bad JSON value: ${(err as Error).message}`);
  }
}
