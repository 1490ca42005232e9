import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, Int64Error, int64ToWire, toBigInt, uint64ToWire, INT64_MAX, INT64_MIN, UINT64_MAX } from '../src/index.js';

describe('backoffDelayMs', () => {
  it('grows the cap exponentially up to maxMs (full jitter)', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(0, { baseMs: 10, maxMs: 1000, random: top })).toBe(9);
    expect(backoffDelayMs(3, { baseMs: 10, maxMs: 1000, random: top })).toBe(79);
    expect(backoffDelayMs(30, { baseMs: 10, maxMs: 1000, random: top })).toBe(999);
    expect(backoffDelayMs(5000, { baseMs: 10, maxMs: 1000, random: top })).toBe(999);
    expect(backoffDelayMs(3, { baseMs: 10, maxMs: 1000, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(-1, { baseMs: 10, random: top })).toBe(9);
  });

  test.prop([fc.nat(200), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })])(
    'always lies in [0, min(maxMs, base*2^attempt))',
    (attempt, r) => {
      const d = backoffDelayMs(attempt, { baseMs: 50, maxMs: 5_000, random: () => r });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(5_000, 50 * 2 ** attempt));
    },
  );
});

describe('int64 edge', () => {
  test.prop([fc.bigInt({ min: INT64_MIN, max: INT64_MAX })])('int64 round-trips through the wire string', (v) => {
    expect(toBigInt(int64ToWire(v))).toBe(v);
  });
  test.prop([fc.bigInt({ min: 0n, max: UINT64_MAX })])('uint64 round-trips through the wire string', (v) => {
    expect(toBigInt(uint64ToWire(v))).toBe(v);
  });

  it('accepts numbers, bigints, Long-likes and proto3 defaults', () => {
    expect(toBigInt(undefined)).toBe(0n);
    expect(toBigInt(null)).toBe(0n);
    expect(toBigInt('')).toBe(0n);
    expect(toBigInt(42)).toBe(42n);
    expect(toBigInt(-7n)).toBe(-7n);
    expect(toBigInt('9007199254740993')).toBe(9007199254740993n);
    const long = { low: 1, high: 1, unsigned: false, toString: () => '4294967297' };
    expect(toBigInt(long)).toBe(4294967297n);
  });

  it('refuses what would be rounded or is not an integer', () => {
    expect(() => toBigInt(2 ** 53 + 2)).toThrow(Int64Error);
    expect(() => toBigInt(1.5)).toThrow(Int64Error);
    expect(() => toBigInt('12abc')).toThrow(Int64Error);
    expect(() => toBigInt('1e3')).toThrow(Int64Error);
    expect(() => toBigInt({} as never)).toThrow(Int64Error);
    expect(() => int64ToWire(INT64_MAX + 1n)).toThrow(Int64Error);
    expect(() => uint64ToWire(-1n)).toThrow(Int64Error);
    expect(() => uint64ToWire(UINT64_MAX + 1n)).toThrow(Int64Error);
  });
});
