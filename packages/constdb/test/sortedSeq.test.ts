// SortedSeq against a plain sorted array: random inserts and removals at both ends and in
// the middle (both shift directions, regrowth) keep the same order and contents.
import { describe, expect, it } from 'vitest';
import { SortedSeq } from '../src/core/sortedSeq.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SortedSeq', () => {
  it('matches a sorted array under random inserts and removals', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const seq = new SortedSeq<number>((a, b) => a - b);
      const ref: number[] = [];
      for (let step = 0; step < 3000; step++) {
        const x = r();
        if (ref.length > 0 && x < 0.3) {
          const i = Math.floor(r() * ref.length);
          expect(seq.removeAt(i)).toBe(ref[i]);
          ref.splice(i, 1);
        } else if (ref.length > 0 && x < 0.4) {
          const i = Math.floor(r() * ref.length);
          expect(seq.remove(ref[i]!)).toBe(true);
          ref.splice(i, 1);
        } else {
          // a third at each end (LPUSH/RPUSH-like), a third anywhere
          const v = x < 0.6 ? (ref[0] ?? 0) - 1 - r() : x < 0.8 ? (ref[ref.length - 1] ?? 0) + 1 + r() : r() * 1000;
          const at = seq.insert(v);
          let want = ref.findIndex((y) => y >= v);
          if (want < 0) want = ref.length;
          expect(at).toBe(want);
          ref.splice(want, 0, v);
        }
        if (step % 97 === 0) expect([...seq]).toEqual(ref);
      }
      expect(seq.length).toBe(ref.length);
      expect([...seq]).toEqual(ref);
      for (let i = 0; i < ref.length; i += 37) expect(seq.indexOf(ref[i]!)).toBe(i);
    }
  });
});
