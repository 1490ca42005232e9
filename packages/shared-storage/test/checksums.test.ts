import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, crc32, crc32Table, decodeJson, encodeJson, openRecord, sealRecord } from '../src/index.js';
import { enc } from './helpers.js';

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(enc('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('table and native agree, also when continued across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc32Table(bytes)).toBe(crc32(bytes));
        expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(crc32(bytes));
        expect(crc32Table(bytes.subarray(at), crc32Table(bytes.subarray(0, at)))).toBe(crc32(bytes));
      }),
    );
  });
});

describe('sealed records', () => {
  it('round-trip and catch any flipped bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (payload, pos, bit) => {
        const sealed = sealRecord(payload);
        expect(openRecord(sealed)).toEqual(payload);
        const bad = sealed.slice();
        bad[pos % bad.length]! ^= 1 << bit;
        expect(() => openRecord(bad)).toThrow(CorruptRecordError);
      }),
    );
    expect(() => openRecord(Uint8Array.of(1, 2))).toThrow(CorruptRecordError);
  });
});

describe('JSON values', () => {
  it('round-trip, bigints included', () => {
    const v = { id: (1n << 80n) + 7n, neg: -5n, list: [1, 'two', null, { nested: 3n }], s: 'x' };
    expect(decodeJson(encodeJson(v))).toEqual(v);
    expect(decodeJson(encodeJson({ $bigint: 'not a number' }))).toEqual({ $bigint: 'not a number' });
  });

  it('reject garbage with CorruptRecordError', () => {
    expect(() => decodeJson(enc('{nope'))).toThrow(CorruptRecordError);
    expect(() => decodeJson(Uint8Array.of(0xff))).toThrow(CorruptRecordError);
  });
});
