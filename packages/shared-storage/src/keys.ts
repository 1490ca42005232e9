import { KeyEncodingError } from './errors.js';

// Order-preserving bigint keys. Layout: one header byte, then the magnitude big-endian in
// the fewest bytes. Header 0x80 + L for n >= 0 (L = 0..127 magnitude bytes, 0 is just 0x80);
// header 0x7f - L for n < 0 with every magnitude byte inverted, so that a larger negative
// magnitude sorts lower. The header fixes the length, so encodings are self-delimiting and
// concatenated keys compare component by component.

/** Magnitude bytes allowed: |n| < 2^1016. */
export const BIGINT_KEY_BYTES_MAX = 127;
const HEADER_ZERO = 0x80;

function magnitudeBytes(m: bigint): number[] {
  const out: number[] = [];
  while (m > 0n) {
    out.push(Number(m & 0xffn));
    m >>= 8n;
  }
  return out.reverse();
}

/** Encode a bigint so that byte order equals numeric order (signed, up to |n| < 2^1016). */
export function encodeBigintKey(n: bigint): Uint8Array {
  if (typeof n !== 'bigint') throw new KeyEncodingError(`encodeBigintKey needs a bigint, got ${typeof n}`);
  const negative = n < 0n;
  const mag = magnitudeBytes(negative ? -n : n);
  if (mag.length > BIGINT_KEY_BYTES_MAX) {
    throw new KeyEncodingError(`bigint key out of range: needs ${mag.length} bytes, at most ${BIGINT_KEY_BYTES_MAX} (|n| < 2^1016)`);
  }
  const out = new Uint8Array(1 + mag.length);
  out[0] = negative ? HEADER_ZERO - 1 - mag.length : HEADER_ZERO + mag.length;
  for (let i = 0; i < mag.length; i++) out[1 + i] = negative ? 0xff - mag[i]! : mag[i]!;
  return out;
}

/** Decode one bigint key starting at `offset`; returns the value and the offset after it. */
export function decodeBigintKeyAt(b: Uint8Array, offset = 0): { value: bigint; end: number } {
  const header = b[offset];
  if (header === undefined) throw new KeyEncodingError(`bigint key: no header byte at offset ${offset}`);
  const negative = header < HEADER_ZERO;
  const len = negative ? HEADER_ZERO - 1 - header : header - HEADER_ZERO;
  if (negative && len === 0) throw new KeyEncodingError('bigint key: header 0x7f is not a valid encoding');
  const end = offset + 1 + len;
  if (end > b.length) throw new KeyEncodingError(`bigint key: needs ${len} magnitude bytes, only ${b.length - offset - 1} left`);
  let m = 0n;
  for (let i = offset + 1; i < end; i++) m = (m << 8n) | BigInt(negative ? 0xff - b[i]! : b[i]!);
  if (len > 0 && (negative ? 0xff - b[offset + 1]! : b[offset + 1]!) === 0) {
    throw new KeyEncodingError('bigint key: non-minimal encoding (leading zero byte)');
  }
  return { value: negative ? -m : m, end };
}

/** Decode a key made by encodeBigintKey; the whole array must be exactly one key. */
export function decodeBigintKey(b: Uint8Array): bigint {
  const { value, end } = decodeBigintKeyAt(b, 0);
  if (end !== b.length) throw new KeyEncodingError(`bigint key: ${b.length - end} trailing bytes`);
  return value;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Strict UTF-8 decode: invalid bytes throw KeyEncodingError instead of becoming U+FFFD. */
export function decodeUtf8(b: Uint8Array): string {
  try {
    return utf8Decoder.decode(b);
  } catch (err) {
    throw new KeyEncodingError(`invalid UTF-8: ${(err as Error).message}`);
  }
}

/** Concatenate key parts; strings become UTF-8. Not self-delimiting for strings: see encodeStringKey. */
export function concatKey(...parts: (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? utf8Encoder.encode(p) : p));
  let total = 0;
  for (const p of bytes) {
    if (!(p instanceof Uint8Array)) throw new KeyEncodingError('concatKey parts must be Uint8Array or string');
    total += p.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of bytes) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Self-delimiting, order-preserving string component: UTF-8 with 0x00 escaped as 0x00 0xff,
// terminated by 0x00 0x01. Use it when a string is followed by more key parts.

/** Encode a string as an order-preserving, self-delimiting key component. */
export function encodeStringKey(s: string): Uint8Array {
  const raw = utf8Encoder.encode(s);
  const out: number[] = [];
  for (const byte of raw) {
    out.push(byte);
    if (byte === 0) out.push(0xff);
  }
  out.push(0x00, 0x01);
  return Uint8Array.from(out);
}

/** Decode one encodeStringKey component at `offset`; returns the string and the offset after it. */
export function decodeStringKeyAt(b: Uint8Array, offset = 0): { value: string; end: number } {
  const out: number[] = [];
  for (let i = offset; i < b.length; i++) {
    const byte = b[i]!;
    if (byte !== 0) {
      out.push(byte);
      continue;
    }
    const next = b[i + 1];
    if (next === 0xff) {
      out.push(0);
      i++;
    } else if (next === 0x01) {
      return { value: decodeUtf8(Uint8Array.from(out)), end: i + 2 };
    } else {
      throw new KeyEncodingError(`string key: bad escape 0x00 0x${(next ?? 0).toString(16)} at ${i}`);
    }
  }
  throw new KeyEncodingError('string key: missing terminator');
}

/** Decode a key that is exactly one encodeStringKey component. */
export function decodeStringKey(b: Uint8Array): string {
  const { value, end } = decodeStringKeyAt(b, 0);
  if (end !== b.length) throw new KeyEncodingError(`string key: ${b.length - end} trailing bytes`);
  return value;
}

/** Lexicographic byte comparison (the order LevelDB uses): negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}
