// Membership entries merge last-writer-wins by version ("out" wins a tie): any order of
// hearing the same views ends with the same membership; the wire form round-trips and
// malformed views are refused with a named error.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Membership, MembershipFormatError, parseMembers } from '../src/core/membership.js';

const entry = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.bigInt({ min: 1n, max: 20n }));

describe('membership', () => {
  it('merging views converges whatever the order (commutative, idempotent)', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 30 }), fc.integer(), (es, seed) => {
      const a = new Membership();
      const b = new Membership();
      for (const [id, out, u] of es) a.set(id, out, u);
      const shuffled = [...es].sort((x, y) => ((Number(x[2]) * 7919 + x[0] * 31 + seed) % 97) - ((Number(y[2]) * 7919 + y[0] * 31 + seed) % 97));
      for (const [id, out, u] of [...shuffled, ...shuffled]) b.set(id, out, u);
      expect(b.format().split(',').sort()).toEqual(a.format().split(',').sort());
      const c = new Membership();
      c.merge(parseMembers(a.format()));
      expect(c.format()).toBe(a.format());
    }));
  });

  it('a newer MEET lifts a forget, an older one does not; out wins a tie', () => {
    const m = new Membership();
    expect(m.set(3, true, 10n)).toBe(true);
    expect(m.set(3, false, 9n)).toBe(false);
    expect(m.set(3, false, 10n)).toBe(false);
    expect(m.isOut(3)).toBe(true);
    expect(m.set(3, false, 11n)).toBe(true);
    expect(m.isOut(3)).toBe(false);
    expect(m.forgotten()).toEqual([]);
  });

  it('malformed views are refused', () => {
    for (const bad of ['3:x:1', '3:o:', 'a:o:1', '3:o:99999999999999999999', `${'1:o:1,'.repeat(2000)}1:o:1`]) {
      expect(() => parseMembers(bad)).toThrow(MembershipFormatError);
    }
    expect(parseMembers('-')).toEqual([]);
  });
});
