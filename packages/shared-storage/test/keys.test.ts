import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KeyEncodingError,
  compareBytes,
  concatKey,
  decodeBigintKey,
  decodeBigintKeyAt,
  decodeStringKey,
  decodeStringKeyAt,
  encodeBigintKey,
  encodeStringKey,
} from '../src/index.js';

const LIMIT = 1n << 1016n;
const anyBigint = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.bigInt({ min: -LIMIT + 1n, max: LIMIT - 1n }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.constantFrom(0n, -1n, 1n, 255n, 256n, -255n, -256n, LIMIT - 1n, -LIMIT + 1n, 1n << 64n, -(1n << 64n)),
);
const sign = (x: number) => Math.sign(x);
const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

describe('bigint keys', () => {
  it('round-trip', () => {
    fc.assert(fc.property(anyBigint, (n) => decodeBigintKey(encodeBigintKey(n)) === n), { numRuns: 2000 });
  });

  it('sort by bytes exactly as they sort numerically', () => {
    fc.assert(
      fc.property(anyBigint, anyBigint, (a, b) => sign(compareBytes(encodeBigintKey(a), encodeBigintKey(b))) === cmp(a, b)),
      { numRuns: 5000 },
    );
  });

  it('sort a whole array numerically', () => {
    fc.assert(
      fc.property(fc.array(anyBigint, { maxLength: 60 }), (xs) => {
        const byBytes = xs.map(encodeBigintKey).sort(compareBytes).map(decodeBigintKey);
        expect(byBytes).toEqual([...xs].sort(cmp));
      }),
      { numRuns: 300 },
    );
  });

  it('compose: concatenated (bigint, bigint) keys sort as tuples', () => {
    fc.assert(
      fc.property(anyBigint, anyBigint, anyBigint, anyBigint, (a1, a2, b1, b2) => {
        const ka = concatKey(encodeBigintKey(a1), encodeBigintKey(a2));
        const kb = concatKey(encodeBigintKey(b1), encodeBigintKey(b2));
        const expected = cmp(a1, b1) || cmp(a2, b2);
        const first = decodeBigintKeyAt(ka);
        expect(decodeBigintKeyAt(ka, first.end).value).toBe(a2);
        return sign(compareBytes(ka, kb)) === expected;
      }),
      { numRuns: 2000 },
    );
  });

  it('has the documented layout for small values', () => {
    expect([...encodeBigintKey(0n)]).toEqual([0x80]);
    expect([...encodeBigintKey(1n)]).toEqual([0x81, 0x01]);
    expect([...encodeBigintKey(256n)]).toEqual([0x82, 0x01, 0x00]);
    expect([...encodeBigintKey(-1n)]).toEqual([0x7e, 0xfe]);
  });

  it('rejects out-of-range values and malformed bytes with KeyEncodingError', () => {
    expect(() => encodeBigintKey(LIMIT)).toThrow(KeyEncodingError);
    expect(() => encodeBigintKey(-LIMIT)).toThrow(KeyEncodingError);
    expect(() => encodeBigintKey(5 as never)).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(new Uint8Array())).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(Uint8Array.of(0x7f))).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(Uint8Array.of(0x82, 0x01))).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(Uint8Array.of(0x81, 0x01, 0x02))).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(Uint8Array.of(0x82, 0x00, 0x01))).toThrow(KeyEncodingError);
    expect(() => decodeBigintKey(Uint8Array.of(0x7d, 0xff, 0xfe))).toThrow(KeyEncodingError);
  });
});

describe('string keys and concatKey', () => {
  it('round-trip and sort like their UTF-8 bytes, also as a prefix of longer keys', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), anyBigint, anyBigint, (a, b, x, y) => {
        expect(decodeStringKey(encodeStringKey(a))).toBe(a);
        const ka = concatKey(encodeStringKey(a), encodeBigintKey(x));
        const kb = concatKey(encodeStringKey(b), encodeBigintKey(y));
        expect(decodeBigintKeyAt(ka, decodeStringKeyAt(ka).end).value).toBe(x);
        const expected = sign(compareBytes(enc.encode(a), enc.encode(b))) || cmp(x, y);
        return sign(compareBytes(ka, kb)) === expected;
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes NUL and rejects malformed components', () => {
    expect([...encodeStringKey('a\u0000b')]).toEqual([0x61, 0x00, 0xff, 0x62, 0x00, 0x01]);
    expect(() => decodeStringKey(Uint8Array.of(0x61))).toThrow(KeyEncodingError);
    expect(() => decodeStringKey(Uint8Array.of(0x61, 0x00, 0x05))).toThrow(KeyEncodingError);
    expect(() => decodeStringKey(Uint8Array.of(0xc3, 0x28, 0x00, 0x01))).toThrow(KeyEncodingError);
    expect(() => decodeStringKey(Uint8Array.of(0x61, 0x00, 0x01, 0x00))).toThrow(KeyEncodingError);
  });

  it('concatenates strings as UTF-8 and bytes as they are', () => {
    expect([...concatKey('é', Uint8Array.of(1, 2), '')]).toEqual([0xc3, 0xa9, 1, 2]);
    expect(concatKey()).toEqual(new Uint8Array());
    expect(() => concatKey(5 as never)).toThrow(KeyEncodingError);
  });
});
